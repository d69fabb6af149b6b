"""The central server (issue #4): enrols devices, takes their records and photos, and sends back
status changes, rosters and rules. State lives in the database and the attachment store, so any
number of server processes can run side by side behind a load balancer.
"""
