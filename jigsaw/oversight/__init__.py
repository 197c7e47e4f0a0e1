"""Oversight: what the service as a whole is flagging, for analysts and leaders, pseudonymised."""
