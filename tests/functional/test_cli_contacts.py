"""``tocsin contacts import``: validated, reported per row without personal data, idempotent."""

from __future__ import annotations

import io
from pathlib import Path

import boto3

from chalicelib.core.model import Channel
from chalicelib.settings import Settings
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.wiring import Container
from tocsin_cli.main import main

CSV = """contact_id,name,roles,language,phone,email
c-gil,Gil Example,executive,en,+1 202-555-0106,Gil@Example.com
c-hal,Hal Example,legal;hr,zh-Hant,+12025550107,
c-ivy,Ivy Example,executive,en,+999,ivy@example.com
c-jon,Jon Example,astronaut,en,+12025550108,jon@example.com
c-kay,Kay Example,hr,en,,not-an-address
c-gil,Gil Again,hr,en,+12025550109,gil2@example.com
c-lee,,hr,en,+12025550110,lee@example.com
c-max,,,en,,
"""


def run(world: boto3.Session, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    services = Container(Settings.from_environment(), world)
    return main(list(argv), out=out, services=services), out.getvalue()


def test_import_reports_each_row_and_normalises_what_it_keeps(
    world: boto3.Session, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    code, report = run(world, "contacts", "import", str(path))
    assert code == 1  # some rows were refused; the valid ones are in
    assert report.splitlines()[0] == "created 2, updated 0, unchanged 0, rejected 6"
    assert "line 4: phone: is not a valid international number" in report
    assert "line 5: roles: unknown role 'astronaut' (not in the playbook)" in report
    assert "line 6: email: is not a valid address" in report
    assert "line 7: contact_id repeats line 2" in report
    assert "line 8: name: is empty" in report
    # A row with several problems reports every one of them, on its line.
    assert "line 9: name: is empty; roles: names no role; phone: no phone and no email" in report
    for secret in ("+999", "not-an-address", "202-555-0106"):
        assert secret not in report
    stored = DynamoContactDirectory(world.client("dynamodb"), settings.contacts_table)
    gil = stored.get_contacts(["c-gil"])["c-gil"]
    assert (gil.phone, gil.email) == ("+12025550106", "Gil@example.com")


def test_importing_the_same_file_again_changes_nothing(
    world: boto3.Session, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(CSV.split("c-ivy", maxsplit=1)[0].rstrip(",\n") + "\n")
    assert run(world, "contacts", "import", str(path))[1].startswith("created 2,")
    code, again = run(world, "contacts", "import", str(path))
    assert (code, again.splitlines()[0]) == (0, "created 0, updated 0, unchanged 2, rejected 0")
    path.write_text(path.read_text().replace("legal;hr", "legal"))
    assert run(world, "contacts", "import", str(path))[1].startswith(
        "created 0, updated 1, unchanged 1"
    )


def test_a_missing_file_is_a_clear_error(world: boto3.Session, tmp_path: Path) -> None:
    assert run(world, "contacts", "import", str(tmp_path / "nope.csv"))[0] == 2


OPTIONAL = """\
contact_id,name,roles,language,phone,email,teams,timezone,push_tokens,consent,opted_out
c-mo,Mo Example,hr,nb,+12025550111,mo@example.com,site-oslo,Europe/Oslo,fcm:abcdefgh1234,email,sms
c-ned,Ned Example,hr,en,+12025550112,,nowhere,UTC,,,
c-oli,Oli Example,hr,en,+12025550113,,,Mars/Olympus,,,
c-pat,Pat Example,hr,en,+12025550114,,,,pager:xyz,,
c-quin,Quin Example,hr,en,+12025550115,,,,,pigeon,
"""


def test_teams_time_zones_tokens_consent_and_opt_outs(
    world: boto3.Session, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(OPTIONAL)
    code, report = run(world, "contacts", "import", str(path))
    assert code == 1
    assert "line 3: teams: unknown team 'nowhere' (not in the playbook)" in report
    assert "line 4: timezone: is not an IANA time zone" in report
    assert "line 5: push_tokens: must be 'apns:<token>' or 'fcm:<token>'" in report
    assert "line 6: consent: must list channels" in report
    mo = DynamoContactDirectory(world.client("dynamodb"), settings.contacts_table).get_contacts(
        ["c-mo"]
    )["c-mo"]
    assert (mo.teams, mo.timezone, mo.push_tokens) == (
        ("site-oslo",),
        "Europe/Oslo",
        ("fcm:abcdefgh1234",),
    )
    assert (mo.unreachable_on(Channel.SMS), mo.unreachable_on(Channel.EMAIL)) == (
        "opted out of sms",
        None,
    )


LABELLED = """\
contact_id,name,roles,language,phone,email,labels
c-rae,Rae Example,hr,en,+12025550116,,building-a;first-aider;building-a
c-sol,Sol Example,hr,en,+12025550117,,Building A
c-tor,Tor Example,hr,en,+12025550118,,-floor-
c-uma,Uma Example,hr,en,+12025550119,,
"""


def test_labels_are_short_slugs_and_refusals_name_the_field_not_the_label(
    world: boto3.Session, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(LABELLED)
    code, report = run(world, "contacts", "import", str(path))
    assert code == 1 and report.splitlines()[0] == "created 2, updated 0, unchanged 0, rejected 2"
    assert "line 3: labels: must be short slugs: lowercase letters, digits and '-'" in report
    assert "line 4: labels: must be short slugs" in report
    assert "Building A" not in report and "-floor-" not in report
    stored = DynamoContactDirectory(world.client("dynamodb"), settings.contacts_table)
    found = stored.get_contacts(["c-rae", "c-uma"])
    assert (found["c-rae"].labels, found["c-uma"].labels) == (("building-a", "first-aider"), ())
    assert [c.contact_id for c in stored.members([], [], ["building-a"])] == ["c-rae"]


def test_a_contact_saved_before_sms_replies_existed_is_saved_again_so_its_number_is_found(
    world: boto3.Session, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(CSV.split("c-hal", maxsplit=1)[0].rstrip(",\n") + "\n")
    run(world, "contacts", "import", str(path))
    client = world.client("dynamodb")
    # As an older Tocsin stored it: no index version, no number pointer.
    client.update_item(
        TableName=settings.contacts_table,
        Key={"pk": {"S": "CONTACT#c-gil"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="REMOVE index_version",
    )
    directory = DynamoContactDirectory(client, settings.contacts_table)
    for owner in directory.owners_of("+12025550106"):
        client.delete_item(
            TableName=settings.contacts_table,
            Key={"pk": {"S": directory_phone("+12025550106")}, "sk": {"S": f"CONTACT#{owner}"}},
        )
    assert directory.owners_of("+12025550106") == []
    code, report = run(world, "contacts", "import", str(path))
    assert (code, report.splitlines()[0]) == (0, "created 0, updated 1, unchanged 0, rejected 0")
    assert directory.owners_of("+12025550106") == ["c-gil"]


def directory_phone(phone: str) -> str:
    from chalicelib.storage.keys import phone_partition

    return phone_partition(phone)
