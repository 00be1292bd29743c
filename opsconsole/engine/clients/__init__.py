"""HTTP clients for the systems the engine writes to."""
