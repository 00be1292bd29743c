"""HTTP routes of the engine: event intake, system API, ops API."""
