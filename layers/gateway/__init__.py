"""The gateway every API action goes through: parse, verify, authorize, limit, validate, envelope, audit."""
