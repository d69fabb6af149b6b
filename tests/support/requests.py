"""Sample submission requests used across tests (synthetic people; no real NIK)."""

from __future__ import annotations

# A girl at school in Jakarta Selatan (31.74.xx), born 14 May 2009 (day 14 + 40: a woman's NIK),
# the sample roster's Siti Rahmawati, and her mother as collector.
STUDENT_NIK = "3174015405090003"
MOTHER_NIK = "3174015708800002"
FAMILY_KK = "3174012001150004"


def kjp_request(**overrides):
    request = {
        "program": "kjp-plus",
        "stage": 2,
        "applicant": {"nik": STUDENT_NIK, "name": "Siti Rahmawati", "kk": FAMILY_KK},
        "collector": {"nik": MOTHER_NIK, "name": "Hj. Aminah", "relation": "parent"},
        "facts": {
            "level": "sma",
            "collector": "parent",
            "recipient": "continuing",
            "private_school": False,
        },
        "documents": [{"type": "kk"}],
    }
    request.update(overrides)
    return request
