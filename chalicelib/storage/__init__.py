"""DynamoDB and SQS adapters for the core's ports."""
