"""Pure rules of the kiosk: no I/O, no clock, no random ids; time and ids come in as arguments."""
