"""The local stack: AWS stand-ins, resource bootstrap, the queue runner. Never deployed."""
