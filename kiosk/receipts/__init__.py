"""Printed receipts: the layout of what a receipt says, rendered as PDF or PNG (A6, 58 mm thermal)."""
