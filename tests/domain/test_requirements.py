"""Program requirements: the shipped rules, checklists for real situations, refused rule files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.assets import assets_dir
from kiosk.domain.requirements import (
    Checklist,
    ItemStatus,
    ProgramRules,
    evaluate,
    facts_needed,
    parse_rules,
)
from kiosk.errors import InputError, RuleFileError

BAD_RULES = Path(__file__).parent.parent / "assets" / "rules"
REGISTRATION = ("permohonan", "pernyataan_ketaatan", "ktp_wali", "kk", "sptjm", "formulir_data")
PICKUP = ("kk_asli", "ktp_wali_asli", "formulir_rekening")


def shipped(program: str) -> ProgramRules:
    path = assets_dir() / "programs" / f"{program}.toml"
    return parse_rules(path.read_text(encoding="utf-8"), str(path), program=program)


@pytest.fixture(scope="module")
def kjp() -> ProgramRules:
    return shipped("kjp-plus")


@pytest.fixture(scope="module")
def pkh() -> ProgramRules:
    return shipped("pkh")


def demo_text() -> str:
    return (BAD_RULES / "valid-demo.toml").read_text(encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def documents(checklist: Checklist) -> list[str]:
    return [item.document for item in checklist.items]


# --- the shipped rule files ---------------------------------------------------------------------


def test_the_kjp_plus_rules_have_two_stages_and_the_source_documents(kjp: ProgramRules):
    assert kjp.program == "kjp-plus"
    assert [stage.number for stage in kjp.stages] == [1, 2]
    ids = {document.id for document in kjp.documents}
    assert set(REGISTRATION) | set(PICKUP) | {"surat_sekolah_wali", "kartu_pelajar"} <= ids


def test_the_pkh_rules_have_four_stages(pkh: ProgramRules):
    assert [stage.number for stage in pkh.stages] == [1, 2, 3, 4]
    assert "april" in pkh.stage(2).period["en"].lower()


def test_every_shipped_text_exists_in_both_languages(kjp: ProgramRules, pkh: ProgramRules):
    for rules in (kjp, pkh):
        texts = [
            rules.name,
            *(d.title for d in rules.documents),
            *(f.question for f in rules.facts),
        ]
        for stage in rules.stages:
            texts += [stage.title, stage.period]
            texts += [t for req in stage.requirements for t in (req.why, req.accept)]
        assert all(set(text) == {"id", "en"} and all(text.values()) for text in texts)


def test_kjp_asks_only_the_questions_its_conditions_use(kjp: ProgramRules):
    assert [fact.id for fact in facts_needed(kjp, 2)] == [
        "level",
        "recipient",
        "collector",
        "private_school",
    ]


def test_a_new_private_school_student_brings_the_school_s_entry_fee_statement(kjp):
    facts = {"level": "smp", "recipient": "new", "collector": "parent", "private_school": True}
    checklist = evaluate(kjp, 1, facts, set(REGISTRATION))
    assert "rincian_biaya_masuk" in [item.document for item in checklist.missing]


@pytest.mark.parametrize(
    "facts",
    [
        {"level": "smp", "recipient": "new", "collector": "parent", "private_school": False},
        {"level": "smp", "recipient": "continuing", "collector": "parent"},
        {"level": "pkbm", "recipient": "new", "collector": "parent"},
    ],
)
def test_no_entry_fee_statement_for_public_schools_continuing_recipients_or_pkbm(kjp, facts):
    checklist = evaluate(kjp, 2, facts, set())
    assert checklist.missing_facts == ()
    assert "rincian_biaya_masuk" not in documents(checklist)


# --- KJP Plus checklists ------------------------------------------------------------------------


def test_new_sma_student_collected_by_a_guardian_needs_the_school_letter_and_student_card(kjp):
    facts = {"level": "sma", "recipient": "new", "collector": "guardian", "private_school": False}
    checklist = evaluate(kjp, 2, facts, {"kk", "ktp_wali"})
    pickup = [
        "kk_asli",
        "surat_sekolah_wali",
        "ktp_wali_asli",
        "kartu_pelajar",
        "formulir_rekening",
    ]
    assert documents(checklist) == [*REGISTRATION, *pickup]
    assert "kk" not in [item.document for item in checklist.missing]
    assert not checklist.is_complete
    assert checklist.missing_facts == ()


def test_a_continuing_recipient_needs_no_pickup_documents(kjp):
    facts = {"level": "sma", "recipient": "continuing", "collector": "guardian"}
    checklist = evaluate(kjp, 2, facts, set(REGISTRATION))
    assert documents(checklist) == list(REGISTRATION)
    assert checklist.is_complete
    assert checklist.missing == ()


def test_a_parent_collecting_for_a_primary_pupil_needs_neither_letter_nor_student_card(kjp):
    facts = {"level": "sd", "recipient": "new", "collector": "parent", "private_school": False}
    checklist = evaluate(kjp, 1, facts, set())
    assert "surat_sekolah_wali" not in documents(checklist)
    assert "kartu_pelajar" not in documents(checklist)
    assert set(PICKUP) <= set(documents(checklist))


def test_every_item_says_why_and_what_is_accepted(kjp):
    checklist = evaluate(kjp, 2, {"level": "smk", "recipient": "new", "collector": "parent"}, ())
    for item in checklist.missing:
        assert item.status is ItemStatus.MISSING
        assert item.why["id"] and item.why["en"] and item.accept["id"] and item.accept["en"]
        assert item.title["id"]


def test_missing_answers_are_listed_and_the_checklist_is_not_complete(kjp):
    checklist = evaluate(kjp, 2, {"level": "sma"}, set(REGISTRATION))
    assert checklist.missing_facts == ("recipient", "collector", "private_school")
    assert [fact.id for fact in checklist.questions] == ["recipient", "collector", "private_school"]
    assert not checklist.is_complete
    undecided = {item.document: item.depends_on for item in checklist.undecided}
    assert undecided["kartu_pelajar"] == ("recipient",)
    assert undecided["surat_sekolah_wali"] == ("recipient", "collector")
    assert all(item.status is ItemStatus.DEPENDS_ON_ANSWER for item in checklist.undecided)
    assert checklist.missing == ()  # nothing is certainly missing yet


def test_an_answer_that_settles_a_condition_makes_other_questions_unnecessary(kjp):
    checklist = evaluate(kjp, 2, {"recipient": "continuing"}, set(REGISTRATION))
    assert checklist.missing_facts == ()
    assert checklist.is_complete


def test_documents_the_stage_does_not_need_are_reported_to_hand_back(kjp):
    facts = {"level": "sd", "recipient": "continuing", "collector": "parent"}
    checklist = evaluate(kjp, 1, facts, {"kk", "kk_asli", "kartu_pelajar"})
    assert [document.id for document in checklist.unused_documents] == ["kk_asli", "kartu_pelajar"]
    assert checklist.to_dict()["not_needed"][0]["document"] == "kk_asli"


def test_the_checklist_as_json_is_complete_and_plain(kjp):
    checklist = evaluate(kjp, 2, {"level": "sma"}, {"kk"})
    data = checklist.to_dict()
    assert data["program"] == "kjp-plus" and data["stage"] == 2 and data["complete"] is False
    assert data["missing_facts"] == ["recipient", "collector", "private_school"]
    assert data["questions"][0]["choices"][0] == {
        "value": "new",
        "label": checklist.questions[0].choices[0].label,
    }
    kk = next(item for item in data["items"] if item["document"] == "kk")
    assert kk["status"] == "satisfied" and set(kk["why"]) == {"id", "en"}
    assert isinstance(kk["title"], dict)


# --- PKH checklists -----------------------------------------------------------------------------


def test_pkh_asks_for_proof_of_each_component_the_family_has(pkh):
    facts = {
        "ibu_hamil": True,
        "anak_usia_dini": False,
        "anak_sd": True,
        "anak_smp": False,
        "anak_sma": False,
        "disabilitas_berat": False,
        "lansia": True,
        "pakai_kks": True,
    }
    checklist = evaluate(pkh, 3, facts, {"ktp", "kk", "kks"})
    assert documents(checklist) == ["ktp", "kk", "kks", "buku_kia", "kehadiran_sd", "surat_lansia"]
    assert [item.document for item in checklist.missing] == [
        "buku_kia",
        "kehadiran_sd",
        "surat_lansia",
    ]


def test_pkh_without_a_kks_card_does_not_ask_for_it(pkh):
    facts = dict.fromkeys((f.id for f in pkh.facts), False)
    checklist = evaluate(pkh, 1, facts, {"ktp", "kk", "kks"})
    assert checklist.is_complete
    assert [document.id for document in checklist.unused_documents] == ["kks"]


# --- refused input ------------------------------------------------------------------------------


def test_an_unknown_stage_names_the_stages_that_exist(kjp):
    with pytest.raises(InputError) as caught:
        evaluate(kjp, 3, {}, ())
    assert caught.value.params["allowed"] == "1, 2"


def test_a_value_outside_the_choices_names_the_fact_and_allowed_values(kjp):
    with pytest.raises(InputError) as caught:
        evaluate(kjp, 1, {"level": "smu"}, ())
    allowed = "sd, smp, sma, smk, pkbm"
    assert caught.value.params == {"fact": "level", "value": "smu", "allowed": allowed}


def test_a_yes_no_fact_refuses_text(pkh):
    with pytest.raises(InputError) as caught:
        evaluate(pkh, 1, {"lansia": "ya"}, ())
    assert caught.value.params["allowed"] == "true, false"


def test_an_unknown_fact_is_refused(kjp):
    with pytest.raises(InputError) as caught:
        evaluate(kjp, 1, {"grade": "sma"}, ())
    assert caught.value.code == "requirements.unknown_fact"


def test_an_unknown_document_in_hand_is_refused_rather_than_ignored(kjp):
    with pytest.raises(InputError) as caught:
        evaluate(kjp, 1, {}, {"kk", "kartu_keluarga"})
    assert caught.value.params["document"] == "kartu_keluarga"


# --- rule files: conditions and stages ---------------------------------------------------------


def test_a_requirement_limited_to_a_stage_and_conditions_applies_only_there():
    rules = parse_rules(demo_text(), "demo.toml")
    both = {"private_school": True, "level": "sma"}
    assert documents(evaluate(rules, 1, both, ())) == ["kk"]
    assert documents(evaluate(rules, 2, both, ())) == ["kk", "spp"]
    assert documents(evaluate(rules, 2, {"private_school": False, "level": "sma"}, ())) == ["kk"]
    assert documents(evaluate(rules, 2, {"private_school": True, "level": "sd"}, ())) == ["kk"]
    assert [fact.id for fact in facts_needed(rules, 1)] == []
    assert [fact.id for fact in facts_needed(rules, 2)] == ["level", "private_school"]


# --- rule files: each mistake names its file and line ------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "line"),
    [
        ("syntax-error.toml", "rules.syntax", 29),
        ("unknown-document.toml", "rules.unknown_document", 39),
        ("bad-condition.toml", "rules.bad_value", 41),
        ("missing-translation.toml", "rules.missing_text", 36),
        ("duplicate-stage.toml", "rules.duplicate_stage", 29),
        ("unknown-key.toml", "rules.unknown_key", 18),
    ],
)
def test_a_bad_rule_file_fails_with_its_file_and_line(name: str, code: str, line: int):
    path = BAD_RULES / name
    with pytest.raises(RuleFileError) as caught:
        parse_rules(path.read_text(encoding="utf-8"), str(path))
    assert caught.value.code == code
    assert caught.value.where == f"{path}:{line}"
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_a_missing_translation_names_the_language():
    path = BAD_RULES / "missing-translation.toml"
    with pytest.raises(RuleFileError) as caught:
        parse_rules(path.read_text(encoding="utf-8"), "x.toml")
    assert caught.value.params["language"] == "en"


DEMO_WHEN = 'when = { private_school = true, level = ["sma"] }'
DEMO_KK_WHY = 'why = { id = "Menunjukkan anggota keluarga.", en = "Shows the family members." }'
DEMO_PERIOD = 'period = { id = "Juli", en = "July" }'


@pytest.mark.parametrize(
    ("old", "new", "code", "marker"),
    [
        (DEMO_WHEN, DEMO_WHEN.replace("level", "grade"), "rules.unknown_fact", "grade"),
        ("private_school = true,", 'private_school = "yes",', "rules.bad_value", "when ="),
        ("level = [", "level = [1, ", "rules.bad_value", "when ="),
        ("level = [", "level = [], x = [", "rules.bad_value", "when ="),
        ("stages = [2]", "stages = [3]", "rules.unknown_stage", "stages = [3]"),
        ("stages = [2]", "stages = []", "rules.wrong_type", "stages = []"),
        ('type = "boolean"', 'type = "number"', "rules.fact_kind", 'type = "number"'),
        ('id = "demo"', 'id = "Demo Program"', "rules.bad_id", "Demo Program"),
        ("[documents.kk]", "[documents.kk-copy]", "rules.bad_id", "kk-copy"),
        ('version = "1"\n', "", "rules.missing_key", "[program]"),
        (DEMO_PERIOD, DEMO_PERIOD.replace("}", ', jv = "Juli" }'), "rules.unknown_key", "jv ="),
        (DEMO_KK_WHY, "", "rules.missing_text", "[[requirements]]"),
        ("number = 2", "number = 0", "rules.wrong_type", "number = 0"),
        ("number = 2", 'number = "2"', "rules.wrong_type", 'number = "2"'),
    ],
)
def test_semantic_mistakes_point_at_the_offending_line(old: str, new: str, code: str, marker: str):
    text = demo_text()
    assert old in text
    text = text.replace(old, new, 1)
    with pytest.raises(RuleFileError) as caught:
        parse_rules(text, "demo.toml")
    assert caught.value.code == code
    assert caught.value.where == f"demo.toml:{line_of(text, marker)}"


def test_a_document_required_twice_in_one_stage_points_at_the_second():
    text = demo_text().replace('document = "spp"', 'document = "kk"')
    with pytest.raises(RuleFileError) as caught:
        parse_rules(text, "demo.toml")
    second = [n for n, line in enumerate(text.splitlines(), 1) if line == 'document = "kk"'][1]
    assert caught.value.code == "rules.duplicate_requirement"
    assert caught.value.where == f"demo.toml:{second}"
    assert caught.value.params["stage"] == 2


def test_dotted_text_keys_point_at_their_own_line():
    text = (assets_dir() / "programs" / "kjp-plus.toml").read_text(encoding="utf-8")
    text = text.replace('why.en = "This letter is', 'why.jv = "This letter is')
    with pytest.raises(RuleFileError) as caught:
        parse_rules(text, "kjp-plus.toml")
    assert caught.value.code == "rules.unknown_key"
    assert caught.value.where == f"kjp-plus.toml:{line_of(text, 'why.jv')}"


def test_a_file_must_declare_the_program_its_name_promises():
    with pytest.raises(RuleFileError) as caught:
        parse_rules(demo_text(), "pkh.toml", program="pkh")
    assert caught.value.code == "rules.wrong_file_name"
    declared = line_of(demo_text(), 'id = "demo"')
    assert caught.value.where == f"pkh.toml:{declared}"


def test_a_syntax_error_keeps_the_toml_reason():
    with pytest.raises(RuleFileError) as caught:
        parse_rules("[program]\nid = \n", "x.toml")
    assert caught.value.where == "x.toml:2"
    assert "at line" not in caught.value.params["reason"]


def test_lines_are_found_in_nested_arrays_of_tables():
    extra = "[[stages]]\nnumber = 2\n[[stages.extra]]\nx = 1"
    text = demo_text().replace("[[stages]]\nnumber = 2", extra)
    with pytest.raises(RuleFileError) as caught:
        parse_rules(text, "demo.toml")
    assert caught.value.code == "rules.unknown_key"
    assert caught.value.where == f"demo.toml:{line_of(text, '[[stages.extra]]')}"


# --- properties ---------------------------------------------------------------------------------


KJP = shipped("kjp-plus")
_kjp_facts = st.fixed_dictionaries(
    {},
    optional={
        "level": st.sampled_from(["sd", "smp", "sma", "smk", "pkbm"]),
        "recipient": st.sampled_from(["new", "continuing"]),
        "collector": st.sampled_from(["parent", "guardian", "student"]),
        "private_school": st.booleans(),
    },
)
_kjp_documents = st.sets(st.sampled_from([document.id for document in KJP.documents]))


@given(_kjp_facts, _kjp_documents, st.sampled_from([1, 2]))
def test_every_document_is_listed_once_as_needed_or_handed_back(facts, have, stage):
    checklist = evaluate(KJP, stage, facts, have)
    listed = [item.document for item in checklist.items]
    unused = [document.id for document in checklist.unused_documents]
    assert len(listed) == len(set(listed))
    assert not set(listed) & set(unused)
    assert set(have) == {d for d in listed if d in have} | set(unused)
    assert checklist.is_complete == (not checklist.missing_facts and not checklist.missing)
    assert all(item.satisfied == (item.document in have) for item in checklist.items)


@given(_kjp_facts, _kjp_documents)
def test_answering_every_question_leaves_nothing_undecided(facts, have):
    full = {
        "level": "sma",
        "recipient": "new",
        "collector": "parent",
        "private_school": False,
        **facts,
    }
    checklist = evaluate(KJP, 2, full, have)
    assert checklist.missing_facts == () and checklist.undecided == ()
