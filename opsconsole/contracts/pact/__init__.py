"""Pact gates: consumer pacts, provider verification, and pacts checked against OpenAPI."""
