"""A local contract broker that speaks enough of the Pact Broker HTTP API for Pact tools.

Pacts are published per consumer version (with branch and tags), verification results are
recorded per pact content and provider version, and deployments are recorded per
environment. `can_i_deploy` answers from that matrix with its reasons.
"""
