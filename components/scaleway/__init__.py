"""Scaleway: the private container registry and transactional e-mail."""
