"""Device-server synchronisation: the wire protocol, the device client and the central server."""
