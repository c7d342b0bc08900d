"""Extracting a download zip: only notebooks, never outside the target, bombs and tricks refused."""

from __future__ import annotations

import os
import re
import struct
import warnings
import zipfile

import pytest

from grader.errors import InputError
from grader.lms.archive import Limits, extract_notebooks, safe_parts
from grader.untrusted import name_text

from .conftest import NOTEBOOK, write_zip


def test_only_notebooks_are_extracted_with_their_zip_times(tmp_path):
    archive = write_zip(tmp_path / "d.zip", {
        "Ana_1_assignsubmission_file/hw.ipynb": NOTEBOOK,
        "Ana_1_assignsubmission_file/data.csv": "1,2\n",
        "__MACOSX/Ana_1_assignsubmission_file/._hw.ipynb": "junk",
        ".hidden/x.ipynb": NOTEBOOK,
        "notes/readme.txt": "hi",
    }, times={"Ana_1_assignsubmission_file/hw.ipynb": (2024, 10, 6, 23, 2, 0)})
    target = extract_notebooks(archive, tmp_path / "out" / "d")
    found = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert found == ["Ana_1_assignsubmission_file/hw.ipynb"]
    stamp = os.stat(target / found[0]).st_mtime
    assert __import__("time").localtime(stamp)[:5] == (2024, 10, 6, 23, 2)


def test_a_second_extraction_replaces_the_first(tmp_path):
    target = tmp_path / "out" / "d"
    extract_notebooks(write_zip(tmp_path / "a.zip", {"a.ipynb": NOTEBOOK}), target)
    extract_notebooks(write_zip(tmp_path / "b.zip", {"b.ipynb": NOTEBOOK}), target)
    assert sorted(p.name for p in target.iterdir()) == ["b.ipynb"]
    assert [p.name for p in target.parent.iterdir()] == ["d"]  # no staging folder left behind


@pytest.mark.parametrize("name, why", [
    ("../../escape.ipynb", "climbs out"),
    ("a/../../escape.ipynb", "climbs out"),
    ("..\\..\\escape.ipynb", "climbs out"),
    ("/etc/escape.ipynb", "absolute path"),
    ("C:/Users/escape.ipynb", "absolute path"),
    ("C:\\escape.ipynb", "absolute path"),
    ("bad\x01name.ipynb", "control character"),
    ("bad\x7fname.ipynb", "control character"),
    ("bad\x85name.ipynb", "control character"),
    ("Ana_1_assignsubmission_file/" + "é" * 128 + ".ipynb", "over 255 bytes"),
    ("/".join(["d"] * 40) + "/deep.ipynb", "folders deep"),
])
def test_an_unsafe_member_name_refuses_that_member_only(tmp_path, name, why):
    archive = write_zip(tmp_path / "evil.zip", {"fine.ipynb": NOTEBOOK, name: NOTEBOOK})
    refused = []
    target = extract_notebooks(archive, tmp_path / "out" / "evil", refused=refused)
    assert [p.name for p in target.rglob("*.ipynb")] == ["fine.ipynb"]
    assert [r.name for r in refused] == [name_text(name)] and why in refused[0].why  # shown as text, %01 for \x01
    assert not list(tmp_path.rglob("escape.ipynb"))


def test_safe_parts_normalises_harmless_names():
    assert safe_parts("./a//b/./c.ipynb") == ("a", "b", "c.ipynb")
    assert safe_parts("a\\b.ipynb") == ("a", "b.ipynb")


def test_a_zip_bomb_member_is_refused_and_the_rest_extracted(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Mallory_9_assignsubmission_file/bomb.ipynb", b"\0" * (30 * 2**20))
        zf.writestr("Ana_1_assignsubmission_file/hw.ipynb", NOTEBOOK)
    assert archive.stat().st_size < 200_000
    refused = []
    target = extract_notebooks(archive, tmp_path / "out" / "bomb", refused=refused)
    assert [p.name for p in target.rglob("*.ipynb")] == ["hw.ipynb"]
    assert refused[0].name.endswith("bomb.ipynb") and "expands" in refused[0].why


def test_archive_wide_caps_refuse_the_whole_zip_and_a_member_over_its_cap_only_itself(tmp_path):
    members = {f"s{i}.ipynb": NOTEBOOK for i in range(5)}
    archive = write_zip(tmp_path / "many.zip", members)
    with pytest.raises(InputError, match="5 members"):
        extract_notebooks(archive, tmp_path / "o1", Limits(max_members=4))
    with pytest.raises(InputError, match="more than"):
        extract_notebooks(archive, tmp_path / "o2", Limits(max_total_bytes=3 * len(NOTEBOOK)))
    big = write_zip(tmp_path / "big.zip", {"big.ipynb": "x" * 5000, "small.ipynb": NOTEBOOK})
    refused = []
    target = extract_notebooks(big, tmp_path / "o3", Limits(max_file_bytes=4000), refused=refused)
    assert [p.name for p in target.iterdir()] == ["small.ipynb"]
    assert [(r.name, "would unpack to" in r.why) for r in refused] == [("big.ipynb", True)]


def _set_declared_size(archive, size, member=-1):
    """Rewrite the central directory's uncompressed size of a member (a lying header)."""
    data = bytearray(archive.read_bytes())
    at = [m.start() for m in re.finditer(b"PK\x01\x02", data)][member]
    data[at + 24:at + 28] = struct.pack("<I", size)
    archive.write_bytes(bytes(data))


def test_a_member_larger_than_its_header_declares_is_refused_and_removed(tmp_path):
    archive = write_zip(tmp_path / "liar.zip", {"fine.ipynb": NOTEBOOK, "liar.ipynb": "y" * 100_000})
    _set_declared_size(archive, 10)
    refused = []
    target = extract_notebooks(archive, tmp_path / "out" / "liar", refused=refused)
    assert [p.name for p in target.iterdir()] == ["fine.ipynb"]  # nothing of the liar left behind
    assert [r.name for r in refused] == ["liar.ipynb"]


def test_links_and_encrypted_members_are_refused_one_by_one(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link.ipynb")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
        zf.writestr("fine.ipynb", NOTEBOOK)
    refused = []
    target = extract_notebooks(archive, tmp_path / "o", refused=refused)
    assert [p.name for p in target.iterdir()] == ["fine.ipynb"] and "symbolic link" in refused[0].why
    archive = write_zip(tmp_path / "locked.zip", {"fine.ipynb": NOTEBOOK, "locked.ipynb": "x"})
    data = bytearray(archive.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1  # general-purpose flag bit 0: encrypted
    archive.write_bytes(bytes(data))
    refused = []
    target = extract_notebooks(archive, tmp_path / "o", refused=refused)
    assert [p.name for p in target.iterdir()] == ["fine.ipynb"] and "encrypted" in refused[0].why


def test_overlapping_members_refuse_the_whole_zip(tmp_path):
    """Two central-directory entries pointing at the same data: the non-recursive zip bomb."""
    archive = write_zip(tmp_path / "overlap.zip", {"a.ipynb": NOTEBOOK, "b.ipynb": NOTEBOOK})
    data = bytearray(archive.read_bytes())
    second = data.rfind(b"PK\x01\x02")
    data[second + 42:second + 46] = struct.pack("<I", 0)  # b's local header offset := a's
    archive.write_bytes(bytes(data))
    with pytest.raises(InputError, match="overlaps"):
        extract_notebooks(archive, tmp_path / "o")


def test_two_members_with_one_name_are_both_refused(tmp_path):
    archive = tmp_path / "twice.zip"
    with zipfile.ZipFile(archive, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name, which is the point
        zf.writestr("Ana_1_assignsubmission_file/hw.ipynb", NOTEBOOK)
        zf.writestr("Ana_1_assignsubmission_file/hw.ipynb", NOTEBOOK.replace("[]", '[{"cell_type": "raw"}]'))
        zf.writestr("Ana_1_assignsubmission_file\\hw.ipynb", NOTEBOOK)  # the same path, written the Windows way
        zf.writestr("Bea_2_assignsubmission_file/hw.ipynb", NOTEBOOK)
    refused = []
    target = extract_notebooks(archive, tmp_path / "o", refused=refused)
    assert [p.relative_to(target).as_posix() for p in target.rglob("*.ipynb")] == ["Bea_2_assignsubmission_file/hw.ipynb"]
    assert len(refused) == 3 and all("same name" in r.why for r in refused)


def test_a_file_where_another_member_needs_a_folder_refuses_both(tmp_path):
    archive = write_zip(tmp_path / "clash.zip", {"x.ipynb": NOTEBOOK, "x.ipynb/y.ipynb": NOTEBOOK,
                                                  "fine.ipynb": NOTEBOOK})
    refused = []
    target = extract_notebooks(archive, tmp_path / "o", refused=refused)
    assert [p.name for p in target.iterdir()] == ["fine.ipynb"]
    assert sorted(r.name for r in refused) == ["x.ipynb", "x.ipynb/y.ipynb"]


def _flag_utf8_with_bytes(archive, placeholder: bytes, raw: bytes):
    """Put `raw` (not UTF-8) where the name `placeholder` was, with the UTF-8 flag set."""
    data = bytearray(archive.read_bytes().replace(placeholder, raw))
    for m in re.finditer(b"PK\x01\x02", data):
        data[m.start() + 9] |= 0x08  # bit 11 of the flags: the name is UTF-8
    for m in re.finditer(b"PK\x03\x04", data):
        data[m.start() + 7] |= 0x08
    archive.write_bytes(bytes(data))


def test_a_name_flagged_utf8_that_is_not_refuses_that_member_only(tmp_path):
    archive = write_zip(tmp_path / "bytes.zip", {"AAAA.ipynb": NOTEBOOK, "fine.ipynb": NOTEBOOK})
    _flag_utf8_with_bytes(archive, b"AAAA", b"A\xff\xfeA")
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(archive)  # what the zipfile module alone makes of it
    refused = []
    target = extract_notebooks(archive, tmp_path / "o", refused=refused)
    assert [p.name for p in target.iterdir()] == ["fine.ipynb"]
    assert refused[0].name == "A%FF%FEA.ipynb" and "not valid UTF-8" in refused[0].why


def test_a_member_asking_for_an_unknown_zip_version_refuses_that_member_only(tmp_path):
    archive = write_zip(tmp_path / "new.zip", {"fine.ipynb": NOTEBOOK, "future.ipynb": NOTEBOOK})
    data = bytearray(archive.read_bytes())
    data[data.rfind(b"PK\x01\x02") + 6] = 99  # "version needed to extract": 9.9
    archive.write_bytes(bytes(data))
    with pytest.raises(NotImplementedError):
        zipfile.ZipFile(archive)
    refused = []
    target = extract_notebooks(archive, tmp_path / "o", refused=refused)
    assert [p.name for p in target.iterdir()] == ["fine.ipynb"] and refused[0].name == "future.ipynb"


def test_names_stored_without_the_utf8_flag_are_read_as_utf8(tmp_path):
    name = "José Núñez_5_assignsubmission_file/hw.ipynb".encode()
    placeholder = b"X" * (len(name) - len(b"/hw.ipynb")) + b"/hw.ipynb"
    archive = write_zip(tmp_path / "mac.zip", {placeholder.decode(): NOTEBOOK})
    # The same bytes under the UTF-8 name with the UTF-8 flag unset, as some zip tools write.
    archive.write_bytes(archive.read_bytes().replace(placeholder, name))
    with zipfile.ZipFile(archive) as zf:
        assert not zf.infolist()[0].flag_bits & 0x800
    target = extract_notebooks(archive, tmp_path / "out")
    assert (target / "José Núñez_5_assignsubmission_file" / "hw.ipynb").is_file()


def test_a_file_that_is_not_a_zip(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    with pytest.raises(InputError, match="bad.zip: not a readable zip"):
        extract_notebooks(bad, tmp_path / "o")
