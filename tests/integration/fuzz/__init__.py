"""Fuzzing of the gateway: every action of every service, every parameter mutated, in every
body encoding and signature style, each answer and audit event checked."""
