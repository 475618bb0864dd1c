"""The ``tocsin`` operator tooling: policy and contact loading. Not deployed to Lambda."""
