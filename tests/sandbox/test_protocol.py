import os

import numpy as np
import pytest

from grader.sandbox import codec
from grader.sandbox.protocol import FrameBuffer, ProtocolError, encode_frame, read_frame, write_frame


def test_frame_round_trip_through_a_pipe():
    r, w = os.pipe()
    write_frame(w, {"event": "x", "n": 3}, [b"abc", b""])
    os.close(w)
    frame = read_frame(r)
    assert frame.header["event"] == "x" and frame.header["n"] == 3
    assert frame.blobs == [b"abc", b""]
    with pytest.raises(EOFError):
        read_frame(r)
    os.close(r)


def test_frame_buffer_accepts_bytes_in_any_pieces():
    data = encode_frame({"a": 1}, [b"x" * 10]) + encode_frame({"b": 2})
    buf = FrameBuffer()
    frames = []
    for i in range(len(data)):
        frames += buf.feed(data[i:i + 1])
    assert [f.header.get("a", f.header.get("b")) for f in frames] == [1, 2]
    assert frames[0].blobs == [b"x" * 10]


@pytest.mark.parametrize("raw", [b"\x00\x00\x00\x05nope!", b"\x00\x00\x00\x02[]", b"\xff\xff\xff\xff"])
def test_malformed_frames_are_refused(raw):
    with pytest.raises(ProtocolError):
        FrameBuffer().feed(raw)


def test_blob_cap_is_enforced():
    with pytest.raises(ProtocolError):
        FrameBuffer(max_blobs=100).feed(encode_frame({}, [b"x" * 101]))


def roundtrip(value):
    tree, blobs = codec.encode(value)
    return codec.decode(tree, blobs)


def test_codec_round_trips_plain_data():
    value = {"a": (1, 2.5, float("nan"), float("inf"), None, True, "text"), 3: [np.arange(6).reshape(2, 3)],
             "big": 2**80, "scalar": np.float32(1.5)}
    back = roundtrip(value)
    assert back["a"][:2] == (1, 2.5) and np.isnan(back["a"][2]) and back["a"][3] == float("inf")
    assert back["a"][4:] == (None, True, "text")
    np.testing.assert_array_equal(back[3][0], np.arange(6).reshape(2, 3))
    assert back["big"] == 2**80
    assert back["scalar"] == np.float32(1.5) and back["scalar"].dtype == np.float32


def test_codec_keeps_zero_dimensional_arrays_zero_dimensional():
    assert roundtrip(np.array(0.5)).shape == ()
    assert roundtrip((np.float64(0.5),))[0].shape == ()


def test_codec_marks_tensors_and_opaque_objects():
    import torch

    back = roundtrip(torch.tensor([1.0, 2.0]))
    assert isinstance(back, codec.TensorArray)

    class Liar:
        def __eq__(self, other):
            return True

        def __repr__(self):
            return "Liar()"

    assert roundtrip(Liar()) == codec.Opaque("test_codec_marks_tensors_and_opaque_objects.<locals>.Liar", "Liar()")
    assert isinstance(roundtrip(len), codec.CallableRef)


def test_codec_copies_ndarray_subclasses_to_plain_arrays():
    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True

    back = roundtrip(np.arange(3.0).view(Sneaky))
    assert type(back) is np.ndarray
    assert not np.array_equal(back, np.zeros(3))


def test_decode_refuses_pickles_odd_dtypes_and_lying_shapes():
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    for tree in ({"$nd": 0}, {"$nd": 0, "dtype": "|O", "shape": [1]}, {"$nd": 0, "dtype": "[('a', '<f8')]", "shape": [1]},
                 {"$nd": 0, "dtype": "<f8", "shape": [10**6]}, {"$nd": 0, "dtype": "<f8", "shape": [-1]}):
        with pytest.raises(codec.CodecError):
            codec.decode(tree, [buf.getvalue()])
    exact = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(codec.decode({"$nd": 0, "dtype": "<f8", "shape": [2, 3]}, [exact.tobytes()]), exact)


@pytest.mark.parametrize("tree", [{"$nd": 5}, {"$float": "1e5"}, {"$int": "12a"}, {"evil": 1}, {"$dict": [[1]]}])
def test_decode_refuses_malformed_trees(tree):
    with pytest.raises(codec.CodecError):
        codec.decode(tree, [])


def test_encode_caps_size_and_depth():
    deep: list = []
    node = deep
    for _ in range(100):
        node.append([])
        node = node[0]
    text = repr(roundtrip(deep))
    assert "TooBig" in text
    assert isinstance(roundtrip(np.zeros(20_000_000)), codec.TooBig)
