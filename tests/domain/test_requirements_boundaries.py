"""Program rules: every refusal compared whole (code, line, parameters, text) and checklists as
whole JSON. An officer fixing a rule file, and the screen translating a refusal, read all of it
(cases found by mutation testing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.domain.requirements import (
    Choice,
    Condition,
    Document,
    Fact,
    FactKind,
    ProgramRules,
    Requirement,
    Stage,
    evaluate,
    parse_rules,
)
from kiosk.errors import InputError, KioskError, RuleFileError

RULES = Path(__file__).parent.parent / "assets" / "rules"
DEMO = (RULES / "valid-demo.toml").read_text(encoding="utf-8")
WHEN = 'when = { private_school = true, level = ["sma"] }'
PERIOD = 'period = { id = "Juli", en = "July" }'
KK_WHY = 'why = { id = "Menunjukkan anggota keluarga.", en = "Shows the family members." }'
KK_TITLE = 'title = { id = "Kartu Keluarga", en = "Family card" }'
LEVEL_CHOICES = (
    'choices.sd = { id = "SD", en = "Primary" }\n'
    'choices.sma = { id = "SMA", en = "Senior secondary" }\n'
)
DOCUMENTS = (
    "[documents.kk]\n"
    + KK_TITLE
    + '\n\n[documents.spp]\ntitle = { id = "Rincian SPP", en = "School fee statement" }\n'
)


def refusal(error: KioskError) -> tuple[str, str | None, dict[str, object], str]:
    return error.code, error.where, error.params, error.detail


def refused_rules(text: str, source: str = "demo.toml") -> tuple[object, ...]:
    with pytest.raises(RuleFileError) as caught:
        parse_rules(text, source)
    assert str(caught.value) == f"{caught.value.where}: {caught.value.detail}"
    return refusal(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            WHEN,
            WHEN.replace("level", "grade"),
            (
                "rules.unknown_fact",
                "demo.toml:41",
                {"path": "requirements[2].when.grade", "fact": "grade"},
                "requirements[2].when.grade: fact 'grade' is not defined under [facts]",
            ),
        ),
        (
            "private_school = true,",
            'private_school = "yes",',
            (
                "rules.bad_value",
                "demo.toml:41",
                {
                    "path": "requirements[2].when.private_school",
                    "fact": "private_school",
                    "value": "yes",
                    "allowed": "true, false",
                },
                "requirements[2].when.private_school: 'yes' is not a value of private_school;"
                " allowed: true, false",
            ),
        ),
        (
            "level = [",
            "level = [1, ",
            (
                "rules.bad_value",
                "demo.toml:41",
                {
                    "path": "requirements[2].when.level",
                    "fact": "level",
                    "value": "1",
                    "allowed": "sd, sma",
                },
                "requirements[2].when.level: '1' is not a value of level; allowed: sd, sma",
            ),
        ),
        (
            "level = [",
            "level = [], x = [",
            (
                "rules.bad_value",
                "demo.toml:41",
                {
                    "path": "requirements[2].when.level",
                    "fact": "level",
                    "value": "[]",
                    "allowed": "sd, sma",
                },
                "requirements[2].when.level: empty list",
            ),
        ),
        (
            "stages = [2]",
            "stages = [3]",
            (
                "rules.unknown_stage",
                "demo.toml:40",
                {"path": "requirements[2].stages", "stage": "3", "allowed": "1, 2"},
                "requirements[2].stages: stage 3 is not defined; stages: 1, 2",
            ),
        ),
        (
            "stages = [2]",
            "stages = []",
            (
                "rules.wrong_type",
                "demo.toml:40",
                {"path": "requirements[2].stages", "expected": "list"},
                "requirements[2].stages: must be a list of stage numbers",
            ),
        ),
        (
            'type = "boolean"',
            'type = "number"',
            (
                "rules.fact_kind",
                "demo.toml:14",
                {"path": "facts.private_school.type", "fact": "private_school"},
                'facts.private_school.type: type must be "boolean", or "choice" with choices',
            ),
        ),
        (
            'id = "demo"',
            'id = "Demo Program"',
            (
                "rules.bad_id",
                "demo.toml:4",
                {"path": "program.id", "id": "Demo Program"},
                "program.id: 'Demo Program' is not a valid id",
            ),
        ),
        (
            "[documents.kk]",
            "[documents.kk-copy]",
            (
                "rules.bad_id",
                "demo.toml:17",
                {"path": "documents.kk-copy", "id": "kk-copy"},
                "documents.kk-copy: 'kk-copy' is not a valid id",
            ),
        ),
        (
            'version = "1"\n',
            "",
            (
                "rules.missing_key",
                "demo.toml:3",
                {"path": "program", "key": "version"},
                "program: missing 'version'",
            ),
        ),
        (
            PERIOD,
            PERIOD.replace("}", ', jv = "Juli" }'),
            (
                "rules.unknown_key",
                "demo.toml:31",
                {"path": "stages[2].period.jv", "key": "jv", "allowed": "id, en"},
                "stages[2].period.jv: unknown key 'jv'; allowed: id, en",
            ),
        ),
        (
            KK_WHY,
            "",
            (
                "rules.missing_text",
                "demo.toml:33",
                {"path": "requirements[1]", "key": "why", "language": "id, en"},
                "requirements[1]: missing 'why' (id and en)",
            ),
        ),
        (
            'version = "1"',
            "version = true",
            (
                "rules.wrong_type",
                "demo.toml:5",
                {"path": "program.version", "expected": "text"},
                "program.version: must be text",
            ),
        ),
        (
            "[program]\n",
            '[program]\ncolour = "red"\n',
            (
                "rules.unknown_key",
                "demo.toml:4",
                {"path": "program.colour", "key": "colour", "allowed": "id, name, version"},
                "program.colour: unknown key 'colour'; allowed: id, name, version",
            ),
        ),
        (
            'id = "demo"\n',
            "",
            (
                "rules.missing_key",
                "demo.toml:3",
                {"path": "program", "key": "id"},
                "program: missing 'id'",
            ),
        ),
        (
            'id = "demo"',
            'id = ""',
            (
                "rules.wrong_type",
                "demo.toml:4",
                {"path": "program.id", "expected": "text"},
                "program.id: must be non-empty text",
            ),
        ),
        (
            'id = "demo"',
            "id = 5",
            (
                "rules.wrong_type",
                "demo.toml:4",
                {"path": "program.id", "expected": "text"},
                "program.id: must be non-empty text",
            ),
        ),
        (
            '[facts.private_school]\ntype = "boolean"',
            '[facts.private_school]\ntype = "boolean"\nchoices.ya = { id = "Ya", en = "Yes" }',
            (
                "rules.fact_kind",
                "demo.toml:15",
                {"path": "facts.private_school.choices", "fact": "private_school"},
                "facts.private_school.choices: a boolean has no choices",
            ),
        ),
        (
            LEVEL_CHOICES,
            'type = "choice"\n',
            (
                "rules.missing_key",
                "demo.toml:8",
                {"path": "facts.level", "key": "choices"},
                "facts.level: missing 'choices'",
            ),
        ),
        (
            LEVEL_CHOICES,
            'type = "choice"\nchoices = {}\n',
            (
                "rules.missing_key",
                "demo.toml:11",
                {"path": "facts.level.choices", "key": "choices"},
                "facts.level.choices: no choices",
            ),
        ),
        (
            "choices.sd =",
            "choices.SD =",
            (
                "rules.bad_id",
                "demo.toml:10",
                {"path": "facts.level.choices.SD", "id": "SD"},
                "facts.level.choices.SD: 'SD' is not a valid id",
            ),
        ),
        (
            'choices.sd = { id = "SD", en = "Primary" }',
            'choices.sd = "SD"',
            (
                "rules.wrong_type",
                "demo.toml:10",
                {"path": "facts.level.choices.sd", "expected": "table"},
                "facts.level.choices.sd: must be a table",
            ),
        ),
        (
            "[facts.level]",
            "[facts.Level]",
            (
                "rules.bad_id",
                "demo.toml:8",
                {"path": "facts.Level", "id": "Level"},
                "facts.Level: 'Level' is not a valid id",
            ),
        ),
        (
            'question = { id = "Sekolah swasta?", en = "Private school?" }\n',
            "",
            (
                "rules.missing_text",
                "demo.toml:13",
                {"path": "facts.private_school", "key": "question", "language": "id, en"},
                "facts.private_school: missing 'question' (id and en)",
            ),
        ),
        (
            DOCUMENTS,
            "",
            (
                "rules.missing_key",
                "demo.toml:1",
                {"path": "", "key": "documents"},
                "missing 'documents'",
            ),
        ),
        (
            KK_TITLE,
            'title = { id = "Kartu Keluarga", en = "  " }',
            (
                "rules.missing_text",
                "demo.toml:18",
                {"path": "documents.kk.title", "key": "title", "language": "en"},
                "documents.kk.title: missing the 'en' text",
            ),
        ),
        (
            KK_TITLE,
            'title = "Kartu Keluarga"',
            (
                "rules.wrong_type",
                "demo.toml:18",
                {"path": "documents.kk.title", "expected": "table"},
                "documents.kk.title: must be a table",
            ),
        ),
        (
            "[[stages]]\nnumber = 1",
            "[[stages]]\nnumber = true",
            (
                "rules.wrong_type",
                "demo.toml:24",
                {"path": "stages[1].number", "expected": "number"},
                "stages[1].number: must be a whole number from 1",
            ),
        ),
        (
            "number = 1\n",
            "",
            (
                "rules.missing_key",
                "demo.toml:23",
                {"path": "stages[1]", "key": "number"},
                "stages[1]: missing 'number'",
            ),
        ),
        (
            'document = "spp"',
            'document = "kk"',
            (
                "rules.duplicate_requirement",
                "demo.toml:39",
                {"path": "requirements[2].document", "document": "kk", "stage": 2},
                "requirements[2].document: 'kk' is already required in stage 2",
            ),
        ),
        (
            'document = "spp"',
            "document = 7",
            (
                "rules.wrong_type",
                "demo.toml:39",
                {"path": "requirements[2].document", "expected": "text"},
                "requirements[2].document: must be non-empty text",
            ),
        ),
        (
            "stages = [2]",
            "stages = 2",
            (
                "rules.wrong_type",
                "demo.toml:40",
                {"path": "requirements[2].stages", "expected": "list"},
                "requirements[2].stages: must be a list of stage numbers",
            ),
        ),
        (
            "stages = [2]",
            'stages = [2]\nnote = "x"',
            (
                "rules.unknown_key",
                "demo.toml:41",
                {
                    "path": "requirements[2].note",
                    "key": "note",
                    "allowed": "document, stages, when, why, accept",
                },
                "requirements[2].note: unknown key 'note'; allowed: document, stages, when, why,"
                " accept",
            ),
        ),
        (
            WHEN,
            'when = "always"',
            (
                "rules.wrong_type",
                "demo.toml:41",
                {"path": "requirements[2].when", "expected": "table"},
                "requirements[2].when: must be a table",
            ),
        ),
        (
            WHEN,
            "when = { level = 1.5 }",
            (
                "rules.bad_value",
                "demo.toml:41",
                {
                    "path": "requirements[2].when.level",
                    "fact": "level",
                    "value": "1.5",
                    "allowed": "sd, sma",
                },
                "requirements[2].when.level: '1.5' is not a value of level; allowed: sd, sma",
            ),
        ),
        (
            "number = 2",
            "number = 0",
            (
                "rules.wrong_type",
                "demo.toml:29",
                {"path": "stages[2].number", "expected": "number"},
                "stages[2].number: must be a whole number from 1",
            ),
        ),
    ],
)
def test_a_mistake_in_a_rule_file_is_refused_with_its_line_path_and_reason(old, new, expected):
    assert old in DEMO
    assert refused_rules(DEMO.replace(old, new, 1)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "duplicate-stage.toml",
            (
                "rules.duplicate_stage",
                "duplicate-stage.toml:29",
                {"path": "stages[2].number", "stage": 1},
                "stages[2].number: stage 1 twice",
            ),
        ),
        (
            "missing-translation.toml",
            (
                "rules.missing_text",
                "missing-translation.toml:36",
                {"path": "requirements[1].accept", "key": "accept", "language": "en"},
                "requirements[1].accept: missing the 'en' text",
            ),
        ),
        (
            "syntax-error.toml",
            (
                "rules.syntax",
                "syntax-error.toml:29",
                {"reason": "Invalid value"},
                "TOML syntax: Invalid value",
            ),
        ),
        (
            "unknown-document.toml",
            (
                "rules.unknown_document",
                "unknown-document.toml:39",
                {"path": "requirements[2].document", "document": "sppt"},
                "requirements[2].document: document 'sppt' is not defined under [documents]",
            ),
        ),
        (
            "unknown-key.toml",
            (
                "rules.unknown_key",
                "unknown-key.toml:18",
                {"path": "documents.kk.colour", "key": "colour", "allowed": "title"},
                "documents.kk.colour: unknown key 'colour'; allowed: title",
            ),
        ),
    ],
)
def test_each_broken_sample_file_is_refused_with_its_line_path_and_reason(name, expected):
    assert refused_rules((RULES / name).read_text(encoding="utf-8"), name) == expected


def test_a_syntax_error_on_the_first_line_is_placed_on_line_1():
    code, where, params, detail = refused_rules("= 1\n", "x.toml")
    assert (code, where) == ("rules.syntax", "x.toml:1")
    assert detail == f"TOML syntax: {params['reason']}"
    assert "at line" not in detail


@pytest.mark.parametrize(
    ("stage", "facts", "have", "expected"),
    [
        (
            3,
            {},
            (),
            (
                "requirements.unknown_stage",
                "stage",
                {"program": "demo", "stage": 3, "allowed": "1, 2"},
                "demo has no stage 3; stages: 1, 2",
            ),
        ),
        (
            1,
            {"grade": "x"},
            (),
            (
                "requirements.unknown_fact",
                "facts.grade",
                {"program": "demo", "fact": "grade", "allowed": "level, private_school"},
                "demo has no question 'grade'; known: level, private_school",
            ),
        ),
        (
            1,
            {},
            ("kk", "ktp"),
            (
                "requirements.unknown_document",
                "documents",
                {"program": "demo", "document": "ktp", "allowed": "kk, spp"},
                "demo has no document 'ktp'; known: kk, spp",
            ),
        ),
        (
            2,
            {"level": "smu"},
            (),
            (
                "requirements.bad_fact_value",
                "facts.level",
                {"fact": "level", "value": "smu", "allowed": "sd, sma"},
                "level cannot be 'smu'; allowed: sd, sma",
            ),
        ),
        (
            2,
            {"level": True},
            (),
            (
                "requirements.bad_fact_value",
                "facts.level",
                {"fact": "level", "value": "true", "allowed": "sd, sma"},
                "level cannot be 'true'; allowed: sd, sma",
            ),
        ),
    ],
)
def test_an_answer_or_document_the_rules_do_not_know_is_refused_whole(stage, facts, have, expected):
    rules = parse_rules(DEMO, "demo.toml")
    with pytest.raises(InputError) as caught:
        evaluate(rules, stage, facts, have)
    assert refusal(caught.value) == expected


KK = {
    "document": "kk",
    "title": {"id": "Kartu Keluarga", "en": "Family card"},
    "why": {"id": "Menunjukkan anggota keluarga.", "en": "Shows the family members."},
    "accept": {"id": "Fotokopi jelas.", "en": "A legible copy."},
}


def test_a_checklist_still_waiting_for_an_answer_is_whole_json_with_the_question():
    rules = parse_rules(DEMO, "demo.toml")
    data = evaluate(rules, 2, {"private_school": True}, {"kk"}).to_dict()
    assert data == {
        "program": "demo",
        "stage": 2,
        "complete": False,
        "items": [
            {**KK, "status": "satisfied", "satisfied": True, "depends_on": []},
            {
                "document": "spp",
                "title": {"id": "Rincian SPP", "en": "School fee statement"},
                "status": "depends_on_answer",
                "satisfied": False,
                "why": {"id": "Sekolah swasta memungut SPP.", "en": "Private schools charge fees."},
                "accept": {
                    "id": "Surat asli dari sekolah.",
                    "en": "The school's original letter.",
                },
                "depends_on": ["level"],
            },
        ],
        "missing": [],
        "missing_facts": ["level"],
        "questions": [
            {
                "id": "level",
                "question": {"id": "Jenjang sekolah?", "en": "School level?"},
                "kind": "choice",
                "choices": [
                    {"value": "sd", "label": {"id": "SD", "en": "Primary"}},
                    {"value": "sma", "label": {"id": "SMA", "en": "Senior secondary"}},
                ],
            }
        ],
        "not_needed": [],
    }


def test_a_checklist_with_a_missing_document_and_one_to_hand_back_is_whole_json():
    rules = parse_rules(DEMO, "demo.toml")
    assert evaluate(rules, 1, {}, {"spp"}).to_dict() == {
        "program": "demo",
        "stage": 1,
        "complete": False,
        "items": [{**KK, "status": "missing", "satisfied": False, "depends_on": []}],
        "missing": ["kk"],
        "missing_facts": [],
        "questions": [],
        "not_needed": [
            {"document": "spp", "title": {"id": "Rincian SPP", "en": "School fee statement"}}
        ],
    }


def test_a_file_that_stops_mid_value_is_refused_at_its_last_line():
    code, where, params, _ = refused_rules('[program]\nid = "demo"\nversion = [\n"1",\n', "x.toml")
    assert (code, where) == ("rules.syntax", "x.toml:4")
    assert params["reason"].endswith("(at end of document)")


def test_a_one_line_file_that_stops_mid_table_is_refused_at_line_1():
    assert refused_rules("[program", "x.toml")[:2] == ("rules.syntax", "x.toml:1")


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_file_named_for_another_program_says_which_name_it_needs():
    with pytest.raises(RuleFileError) as caught:
        parse_rules(DEMO, "pkh.toml", program="pkh")
    assert refusal(caught.value) == (
        "rules.wrong_file_name",
        "pkh.toml:4",
        {"path": "program.id", "program": "demo", "expected": "demo.toml"},
        "program.id: the file declares 'demo', so it must be named demo.toml",
    )


def test_a_program_that_is_not_a_table_is_refused_on_its_line():
    text = DEMO.replace("[program]\n", 'program = "demo"\n[old_program]\n', 1)
    code, where, params, _ = refused_rules(text)
    assert (code, where, params) == (
        "rules.unknown_key",
        f"demo.toml:{line_of(text, '[old_program]')}",
        {
            "path": "old_program",
            "key": "old_program",
            "allowed": "program, facts, documents, stages, requirements",
        },
    )
    text = DEMO.replace("[program]\n", "[[program]]\n", 1)
    assert refused_rules(text)[:3] == (
        "rules.wrong_type",
        "demo.toml:3",
        {"path": "program", "expected": "table"},
    )


def test_a_stage_given_as_true_is_not_stage_1():
    code, where, _, _ = refused_rules(DEMO.replace("stages = [2]", "stages = [true]", 1))
    assert (code, where) == ("rules.unknown_stage", "demo.toml:40")


def test_a_file_without_stages_or_with_requirements_that_are_not_a_list_is_refused():
    head, rest = DEMO.split("[[stages]]", 1)
    requirements = "[[requirements]]" + rest.split("[[requirements]]", 1)[1]
    assert refused_rules(head + requirements)[::2] == (
        "rules.missing_key",
        {"path": "", "key": "stages"},
    )
    assert refused_rules("stages = 1\n" + head + requirements) == (
        "rules.missing_key",
        "demo.toml:1",
        {"path": "stages", "key": "stages"},
        "stages: no [[stages]]",
    )
    assert refused_rules("requirements = 1\n" + DEMO.split("[[requirements]]")[0]) == (
        "rules.wrong_type",
        "demo.toml:1",
        {"path": "requirements", "expected": "list"},
        "requirements: must be [[requirements]]",
    )


def test_lines_are_found_past_comments_quoted_headers_and_multi_line_text():
    text = DEMO.replace("[documents.kk]", '# [documents.fake]\n[ documents . "kk" ] # the card', 1)
    text = text.replace(
        'accept = { id = "Fotokopi jelas.", en = "A legible copy." }',
        'accept.id = """Fotokopi\n[jelas]\nid = 1"""\naccept.en = \'\'\'A legible\ncopy.\'\'\'\n"colour" = 1',
        1,
    )
    colour = line_of(text, '"colour" = 1')
    code, where, params, _ = refused_rules(text)
    assert (code, where, params["path"]) == (
        "rules.unknown_key",
        f"demo.toml:{colour}",
        "requirements[1].colour",
    )
    shelf = text.replace(KK_TITLE, KK_TITLE + "\nshelf = 2", 1)
    code, where, params, _ = refused_rules(shelf)
    assert (code, where, params["path"]) == (
        "rules.unknown_key",
        f"demo.toml:{line_of(shelf, 'shelf = 2')}",
        "documents.kk.shelf",
    )


def texts(indonesian: str, english: str) -> dict[str, str]:
    return {"id": indonesian, "en": english}


def test_the_sample_file_is_read_whole_into_its_rules():
    kk = Requirement(
        "kk",
        (),
        texts("Menunjukkan anggota keluarga.", "Shows the family members."),
        texts("Fotokopi jelas.", "A legible copy."),
    )
    spp = Requirement(
        "spp",
        (Condition("private_school", (True,)), Condition("level", ("sma",))),
        texts("Sekolah swasta memungut SPP.", "Private schools charge fees."),
        texts("Surat asli dari sekolah.", "The school's original letter."),
    )
    assert parse_rules(DEMO.replace('version = "1"', "version = 3"), "demo.toml") == ProgramRules(
        program="demo",
        name=texts("Program Contoh", "Demo Programme"),
        version="3",
        facts=(
            Fact(
                "level",
                texts("Jenjang sekolah?", "School level?"),
                FactKind.CHOICE,
                (
                    Choice("sd", texts("SD", "Primary")),
                    Choice("sma", texts("SMA", "Senior secondary")),
                ),
            ),
            Fact("private_school", texts("Sekolah swasta?", "Private school?"), FactKind.BOOLEAN),
        ),
        documents=(
            Document("kk", texts("Kartu Keluarga", "Family card")),
            Document("spp", texts("Rincian SPP", "School fee statement")),
        ),
        stages=(
            Stage(1, texts("Tahap 1", "Stage 1"), texts("Januari", "January"), (kk,)),
            Stage(2, texts("Tahap 2", "Stage 2"), texts("Juli", "July"), (kk, spp)),
        ),
        source="demo.toml",
    )


HEAD = DEMO.split("[[requirements]]")[0]
FACTS = HEAD[HEAD.index("[facts.level]") : HEAD.index("[documents.kk]")]


def test_facts_and_requirements_are_optional_but_must_be_tables_and_lists_when_given():
    without_facts = parse_rules(HEAD.replace(FACTS, ""), "demo.toml")
    assert (without_facts.facts, [stage.requirements for stage in without_facts.stages]) == (
        (),
        [(), ()],
    )
    assert parse_rules(HEAD, "demo.toml").stages[1].requirements == ()
    assert refused_rules("facts = 1\n" + HEAD.replace(FACTS, ""))[:3] == (
        "rules.wrong_type",
        "demo.toml:1",
        {"path": "facts", "expected": "table"},
    )
    documents = HEAD[HEAD.index("[documents.kk]") : HEAD.index("[[stages]]")]
    assert refused_rules("documents = 1\n" + HEAD.replace(documents, ""))[:3] == (
        "rules.wrong_type",
        "demo.toml:1",
        {"path": "documents", "expected": "table"},
    )
    assert refused_rules(HEAD.replace(documents, "[documents]\n\n")) == (
        "rules.missing_key",
        f"demo.toml:{line_of(HEAD, '[documents.kk]')}",
        {"path": "documents", "key": "documents"},
        "documents: no documents",
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            FACTS,
            FACTS.replace('type = "boolean"', "").replace(LEVEL_CHOICES, ""),
            ("rules.fact_kind", {"path": "facts.level.type", "fact": "level"}),
        ),
        (
            LEVEL_CHOICES,
            LEVEL_CHOICES + "colour = 1\n",
            (
                "rules.unknown_key",
                {
                    "path": "facts.level.colour",
                    "key": "colour",
                    "allowed": "question, type, choices",
                },
            ),
        ),
        (
            LEVEL_CHOICES,
            "choices = 1\n",
            ("rules.wrong_type", {"path": "facts.level.choices", "expected": "table"}),
        ),
        (
            'choices.sd = { id = "SD", en = "Primary" }',
            'choices.sd = { id = "SD" }',
            (
                "rules.missing_text",
                {"path": "facts.level.choices.sd", "key": "sd", "language": "en"},
            ),
        ),
        (
            'name = { id = "Program Contoh", en = "Demo Programme" }',
            'name = { id = "Program Contoh" }',
            ("rules.missing_text", {"path": "program.name", "key": "name", "language": "en"}),
        ),
        (
            '[facts.private_school]\ntype = "boolean"\n'
            'question = { id = "Sekolah swasta?", en = "Private school?" }\n',
            '[facts]\nprivate_school = "yes"\n',
            ("rules.wrong_type", {"path": "facts.private_school", "expected": "table"}),
        ),
        (
            '[documents.spp]\ntitle = { id = "Rincian SPP", en = "School fee statement" }\n',
            "[documents]\nspp = 1\n",
            ("rules.wrong_type", {"path": "documents.spp", "expected": "table"}),
        ),
        (
            '[program]\nid = "demo"\nversion = "1"\n'
            'name = { id = "Program Contoh", en = "Demo Programme" }\n',
            "",
            ("rules.missing_key", {"path": "", "key": "program"}),
        ),
        (
            'document = "spp"\n',
            "",
            ("rules.missing_key", {"path": "requirements[2]", "key": "document"}),
        ),
        (
            'level = ["sma"]',
            "level = [2020-01-01]",
            (
                "rules.bad_value",
                {
                    "path": "requirements[2].when.level",
                    "fact": "level",
                    "value": "2020-01-01",
                    "allowed": "sd, sma",
                },
            ),
        ),
    ],
)
def test_a_part_of_the_wrong_kind_or_missing_is_refused_with_its_path(old, new, expected):
    assert old in DEMO
    assert refused_rules(DEMO.replace(old, new, 1))[::2] == expected


def test_stages_and_requirements_must_be_lists_of_tables():
    assert refused_rules("stages = [1]\n" + DEMO.split("[[stages]]")[0])[::2] == (
        "rules.wrong_type",
        {"path": "stages[1]", "expected": "table"},
    )
    assert refused_rules("requirements = [1]\n" + HEAD)[::2] == (
        "rules.wrong_type",
        {"path": "requirements[1]", "expected": "table"},
    )


@pytest.mark.parametrize(
    "text_before",
    [
        # A header inside multi-line literal text is text, not a table.
        "accept.id = '''Fotokopi\n[jelas]\nid = 1'''\naccept.en = \"A legible copy.\"",
        # Both kinds of triple quote on one line: still inside the text afterwards.
        'accept.id = """Fotokopi \'\'\'jelas\'\'\'\n[jelas]\nid = 1"""\naccept.en = "A legible copy."',
        # A line inside the text holding two triple quotes of the other kind does not close it.
        'accept.id = """Fotokopi\n\'\'\'jelas\'\'\'\n[jelas]\nid = 1"""\naccept.en = "A legible copy."',
        # Both kinds opened and closed on one line: the text is over.
        'accept.id = """Fotokopi \'\'\'jelas\'\'\'"""\naccept.en = "A legible copy."',
    ],
)
def test_a_line_is_found_after_text_in_triple_quotes(text_before):
    accept = 'accept = { id = "Fotokopi jelas.", en = "A legible copy." }'
    text = DEMO.replace(accept, text_before + "\nXRAY = 1", 1)
    code, where, params, _ = refused_rules(text)
    assert (code, where, params["path"]) == (
        "rules.unknown_key",
        f"demo.toml:{line_of(text, 'XRAY = 1')}",
        "requirements[1].XRAY",
    )


TOO_DEEP = ("rules.too_deep", {"limit": 16}, "lists or tables nested more than 16 deep")


@pytest.mark.parametrize(
    "deep_line",
    [
        "y = " + "[" * 17,
        "y = " + "[ " * 17,  # spaces between the brackets
        "y = " + "[X" * 17,  # other characters between them
        "y = " + "[[]" * 17,  # each closed bracket closes one level only
        "Xy = " + "[" * 17,  # a capital X is not a quote
    ],
)
def test_a_line_nested_past_the_limit_is_refused_whole_after_comments(deep_line):
    text = '# a comment: ] } "\n[program]\n' + deep_line + "\n"
    code, where, params, detail = refused_rules(text)
    assert (code, params, detail) == TOO_DEEP
    assert where == "demo.toml:3"


def test_brackets_in_quoted_text_comments_and_capital_x_keys_are_not_nesting():
    text = DEMO.replace(
        'version = "1"',
        'version = "' + "[" * 17 + '"  # ' + "{" * 17 + "\nXXXXXXXXXXXXXXXXX = 1",
        1,
    )
    code, _, params, _ = refused_rules(text)
    assert (code, params["key"]) == ("rules.unknown_key", "XXXXXXXXXXXXXXXXX")
