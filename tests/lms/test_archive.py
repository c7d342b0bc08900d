"""Extracting a download zip: only notebooks, never outside the target, bombs and tricks refused."""

from __future__ import annotations

import os
import struct
import zipfile

import pytest

from grader.errors import InputError
from grader.lms.archive import Limits, extract_notebooks, safe_parts

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
])
def test_unsafe_member_names_refuse_the_whole_zip(tmp_path, name, why):
    archive = write_zip(tmp_path / "evil.zip", {"fine.ipynb": NOTEBOOK, name: NOTEBOOK})
    with pytest.raises(InputError) as caught:
        extract_notebooks(archive, tmp_path / "out" / "evil")
    message = str(caught.value)
    assert "evil.zip" in message and why in message
    assert not (tmp_path / "out" / "evil").exists()
    assert not list(tmp_path.rglob("escape.ipynb"))


def test_safe_parts_normalises_harmless_names():
    assert safe_parts("./a//b/./c.ipynb") == ("a", "b", "c.ipynb")
    assert safe_parts("a\\b.ipynb") == ("a", "b.ipynb")


def test_a_zip_bomb_is_refused_with_a_clear_error(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Mallory_9_assignsubmission_file/bomb.ipynb", b"\0" * (30 * 2**20))
    assert archive.stat().st_size < 200_000
    with pytest.raises(InputError, match=r"bomb\.zip: zip bomb refused: member .*bomb\.ipynb.* expands"):
        extract_notebooks(archive, tmp_path / "out" / "bomb")
    assert not (tmp_path / "out" / "bomb").exists()


def test_size_count_and_total_caps(tmp_path):
    members = {f"s{i}.ipynb": NOTEBOOK for i in range(5)}
    archive = write_zip(tmp_path / "many.zip", members)
    with pytest.raises(InputError, match="5 members"):
        extract_notebooks(archive, tmp_path / "o1", Limits(max_members=4))
    with pytest.raises(InputError, match="more than"):
        extract_notebooks(archive, tmp_path / "o2", Limits(max_total_bytes=3 * len(NOTEBOOK)))
    big = write_zip(tmp_path / "big.zip", {"big.ipynb": "x" * 5000})
    with pytest.raises(InputError, match="would unpack to"):
        extract_notebooks(big, tmp_path / "o3", Limits(max_file_bytes=4000))


def _set_declared_size(archive, size):
    """Rewrite the central directory's uncompressed size of the only member (a lying header)."""
    data = bytearray(archive.read_bytes())
    at = data.rfind(b"PK\x01\x02")
    data[at + 24:at + 28] = struct.pack("<I", size)
    archive.write_bytes(bytes(data))


def test_a_member_larger_than_its_header_declares_is_refused(tmp_path):
    archive = write_zip(tmp_path / "liar.zip", {"liar.ipynb": "y" * 100_000})
    _set_declared_size(archive, 10)
    with pytest.raises(InputError, match="liar.zip"):
        extract_notebooks(archive, tmp_path / "out" / "liar")
    assert not (tmp_path / "out" / "liar").exists()


def test_links_and_encrypted_members_are_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link.ipynb")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="symbolic link"):
        extract_notebooks(archive, tmp_path / "o")
    archive = write_zip(tmp_path / "locked.zip", {"locked.ipynb": "x"})
    data = bytearray(archive.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1  # general-purpose flag bit 0: encrypted
    archive.write_bytes(bytes(data))
    with pytest.raises(InputError, match="encrypted"):
        extract_notebooks(archive, tmp_path / "o")


def test_overlapping_members_are_refused(tmp_path):
    """Two central-directory entries pointing at the same data: the non-recursive zip bomb."""
    archive = write_zip(tmp_path / "overlap.zip", {"a.ipynb": NOTEBOOK, "b.ipynb": NOTEBOOK})
    data = bytearray(archive.read_bytes())
    second = data.rfind(b"PK\x01\x02")
    data[second + 42:second + 46] = struct.pack("<I", 0)  # b's local header offset := a's
    archive.write_bytes(bytes(data))
    with pytest.raises(InputError, match="overlaps"):
        extract_notebooks(archive, tmp_path / "o")


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
