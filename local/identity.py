"""The local stack's own (fictional) phone number: voice calls come from it, texts go to it."""

LOCAL_NUMBER = "+12025550100"
