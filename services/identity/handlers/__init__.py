"""Use cases of the identity service: no FastAPI, no aiokafka, never commit."""
