"""The output tree (output.py, runtime.Queue): a level with nothing of its own around a plain
level prints what that level prints, through the four punctuation passes and the flattening,
so the engine leaves such wrappers out (``Queue.close_plain``, ``NameOutput.join``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bibkit.exporters.csl import Engine, make_engine
from bibkit.exporters.csl.output import FORMATS, Blob, NumericBlob, Renderer, settle
from bibkit.exporters.csl.runtime import EMPTY, Fmt, Queue, St, bare

QUOTES = ("“", "”", "‘", "’")
MARKS = st.sampled_from(["", "", ".", ",", " ", ". ", ", ", ": ", ";", "?", "!", " (", ")", "“", "  ", ".  ", " .",
                         ", ."])
DECORATIONS = st.sampled_from([(), (), (("@font-style", "italic"),), (("@quotes", "true"),),
                               (("@font-weight", "bold"), ("@quotes", "true"))])

# A tree as data: ("leaf", text, prefix, suffix, decorations), ("number", n, prefix, suffix), or
# ("level", prefix, suffix, delimiter, decorations, children, wrapped). A level marked wrapped
# is built inside a level with nothing of its own where the engine would leave that out: the
# level is bare (runtime.bare) and holds no number at any depth.
leaves = st.one_of(
    st.tuples(st.just("leaf"), st.text("ab.,;:?! ", min_size=1, max_size=4), MARKS, MARKS, DECORATIONS),
    st.tuples(st.just("number"), st.integers(1, 3), MARKS, MARKS))
trees = st.recursive(leaves, lambda inner: st.tuples(
    st.just("level"), MARKS, MARKS, st.sampled_from(["", "", ", ", ". ", " "]), DECORATIONS,
    st.lists(inner, min_size=1, max_size=3), st.booleans()), max_leaves=12)


def build(spec: Any, parent: Blob, wrappers: bool) -> None:
    """``spec`` built into ``parent``; with ``wrappers``, with the levels the engine leaves out."""
    if spec[0] == "leaf":
        _, text, prefix, suffix, decorations = spec
        parent.push(Blob(text, prefix, suffix, decorations=list(decorations)))
        return
    if spec[0] == "number":
        _, n, prefix, suffix = spec
        parent.push(NumericBlob(n, prefix=prefix, suffix=suffix))
        return
    _, prefix, suffix, delimiter, decorations, children, wrapped = spec
    level = Blob(None, prefix, suffix, delimiter, list(decorations))
    for child in children:
        build(child, level, wrappers)
    if wrapped and wrappers and bare(level) and not numbered(spec):
        wrapper = Blob()
        parent.push(wrapper)
        parent = wrapper
    parent.push(level)


def numbered(spec: Any) -> bool:
    """Whether a number is in ``spec`` at any depth (the engine keeps the wrapper: Queue.numbered)."""
    return spec[0] == "number" or (spec[0] == "level" and any(numbered(child) for child in spec[5]))


def printed(spec: Any, wrappers: bool, punctuation_in_quote: bool) -> str:
    top = Blob()
    build(spec, top, wrappers)
    settle(top, punctuation_in_quote)
    return "".join(p for p in Renderer(FORMATS["html"], QUOTES).string([top]) if isinstance(p, str))


@settings(max_examples=1000)
@given(trees, st.booleans())
def test_a_level_with_nothing_of_its_own_around_a_bare_level_prints_nothing_of_its_own(
        spec: Any, punctuation_in_quote: bool) -> None:
    """Where a wrapper stands (the passes look one level down in places: a wrapper around a
    level with a suffix hides that suffix from them, so only bare levels lose theirs)."""
    assert printed(spec, True, punctuation_in_quote) == printed(spec, False, punctuation_in_quote)


@cache
def _engine() -> Engine:
    return make_engine(b'<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">'
                       b'<info><title>t</title><id>t</id></info><citation><layout><text variable="title"/></layout>'
                       b'</citation><bibliography><layout><text variable="title"/></layout></bibliography></style>')


def _queue() -> Queue:
    """An empty output queue, as an entry's rendering starts with it."""
    return St(_engine()).queue


def _queue_with(inner: Blob, outer: Fmt = EMPTY) -> tuple[Blob, Blob]:
    """A queue's root holding a level (``outer``) that holds ``inner``; the level closed with
    ``close_plain``. (root, what the root holds)"""
    queue = _queue()
    queue.open(outer)
    queue.stack[-1].push(inner)
    queue.close_plain()
    root = queue.root
    assert isinstance(root.blobs, list) and len(root.blobs) == 1
    return root, root.blobs[0]


def test_close_plain_leaves_out_only_a_level_with_nothing_of_its_own_around_a_bare_level() -> None:
    bare = Blob([Blob("x"), Blob("y")], delimiter=", ")
    assert _queue_with(bare)[1] is bare
    for outer in (Fmt(prefix="("), Fmt(suffix=")"), Fmt(delimiter=", "), Fmt(decorations=[("@font-style", "italic")]),
                  Fmt(text_case="title")):
        inner = Blob([Blob("x")])
        assert _queue_with(inner, outer)[1].blobs == [inner]  # the level has something of its own
    for inner in (Blob("x"),  # a leaf
                  Blob([Blob("x")], prefix=" "), Blob([Blob("x")], suffix="."),  # affixes of its own
                  Blob([Blob("x")], decorations=[("@font-style", "italic")]),  # formatted
                  Blob([Blob("x")], text_case="lowercase"),
                  Blob([NumericBlob(1)]),  # holds a number
                  Blob([Blob([Blob("x", suffix="  ")])])):  # ends in two spaces
        kept = _queue_with(inner)[1]
        assert kept is not inner and kept.blobs == [inner]
    queue = _queue()
    queue.elide = False  # (an entry whose layout dresses its first or last level)
    queue.open()
    queue.stack[-1].push(bare)
    queue.close_plain()
    assert queue.root.blobs[0] is not bare


def test_a_level_with_a_number_anywhere_in_it_keeps_its_wrapper() -> None:
    """A number joins its neighbours and prints through the levels it is in (Renderer.string):
    a level that holds one at any depth is not bare, however deep the queue put it."""
    queue = _queue()
    queue.open()
    inner = queue.open()
    queue.open()
    queue.append(NumericBlob(1), literal=True)
    queue.close()
    queue.close()
    queue.close_plain()
    assert queue.root.blobs[0] is not inner and queue.root.blobs[0].blobs == [inner]
    queue.reset()
    queue.open()
    inner = queue.open()
    queue.open()
    queue.append(Blob("x"), literal=True)
    queue.close()
    queue.close()
    queue.close_plain()
    assert queue.root.blobs[0] is inner
