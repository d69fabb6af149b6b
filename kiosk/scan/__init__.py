"""Reading codes at the kiosk: decoding camera frames, photos and files (decode, preprocess,
backends, live), invitation patterns, and handheld scanners that type like a keyboard.

What a decoded payload means is the domain's business (kiosk.domain.payloads); this package only
turns pixels and keystrokes into exact bytes, with where and how they were found.
"""
