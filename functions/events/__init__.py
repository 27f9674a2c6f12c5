"""Queue, schedule and storage triggers (not API actions)."""
