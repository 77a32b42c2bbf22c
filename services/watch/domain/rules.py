"""A small rule language on levels: `TIO2 < 3 and (ORS3 >= 2 or ER3 ≠ 5)`."""

from __future__ import annotations

import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from shared.errors import InvalidInput

Op = Literal["<", "<=", ">", ">=", "=", "!="]
MAX_RULE_LENGTH = 2000
MAX_DEPTH = 32
MIN_LEVEL, MAX_LEVEL = 0, 5

_SYNONYMS: dict[str, Op] = {
    "<": "<",
    "<=": "<=",
    "≤": "<=",
    ">": ">",
    ">=": ">=",
    "≥": ">=",
    "=": "=",
    "==": "=",
    "!=": "!=",
    "≠": "!=",
    "<>": "!=",
}
_COMPARE: dict[Op, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<paren>[()])|(?P<op><=|>=|==|!=|<>|[<>=≤≥≠])|(?P<number>-?\d+)|(?P<word>[A-Za-z]+[0-9]*)"
    r"|(?P<other>\S))"
)
_CODE = re.compile(r"[A-Z]+[1-9][0-9]*")
_KEYWORDS = {"and": "and", "et": "and", "or": "or", "ou": "or"}


class InvalidRule(InvalidInput):
    """A rule text that cannot be read (syntax, unknown operator, level outside 0–5)."""


class Rule(ABC):
    """A condition on an organisation's levels; unanswered or N/A indicators never satisfy a comparison."""

    @property
    @abstractmethod
    def codes(self) -> frozenset[str]:
        """Return the indicators the rule names."""

    @abstractmethod
    def matches(self, levels: Mapping[str, int | None]) -> bool:
        """Tell whether one organisation's levels satisfy the rule."""

    @abstractmethod
    def matches_matrix(
        self, levels: npt.NDArray[np.int8], columns: Mapping[str, int]
    ) -> npt.NDArray[np.bool_]:
        """Evaluate the rule on rows of levels (negative = unanswered), one bool per row."""


@dataclass(frozen=True)
class Comparison(Rule):
    """`<code> <op> <level>`."""

    code: str
    op: Op
    level: int

    @property
    def codes(self) -> frozenset[str]:
        """Return the indicator compared."""
        return frozenset({self.code})

    def matches(self, levels: Mapping[str, int | None]) -> bool:
        """Compare the level if the indicator was answered."""
        level = levels.get(self.code)
        return level is not None and level >= 0 and bool(_COMPARE[self.op](level, self.level))

    def matches_matrix(
        self, levels: npt.NDArray[np.int8], columns: Mapping[str, int]
    ) -> npt.NDArray[np.bool_]:
        """Compare one column, answered rows only."""
        column = columns.get(self.code)
        if column is None:
            return np.zeros(len(levels), np.bool_)
        values = levels[:, column]
        result: npt.NDArray[np.bool_] = (values >= 0) & _COMPARE[self.op](values, self.level)
        return result

    def __str__(self) -> str:
        return f"{self.code} {self.op} {self.level}"


@dataclass(frozen=True)
class _Combined(Rule):
    parts: tuple[Rule, ...]

    def __post_init__(self) -> None:
        if len(self.parts) < 2:
            raise ValueError("a combination needs at least two rules")
        flat: list[Rule] = []
        for part in self.parts:  # `a and (b and c)` is `a and b and c`: one canonical form
            flat.extend(part.parts if type(part) is type(self) and isinstance(part, _Combined) else (part,))
        object.__setattr__(self, "parts", tuple(flat))

    @property
    def codes(self) -> frozenset[str]:
        """Return every indicator named."""
        return frozenset().union(*(part.codes for part in self.parts))

    def _text(self, word: str) -> str:
        texts = [f"({part})" if isinstance(part, _Combined) else str(part) for part in self.parts]
        return f" {word} ".join(texts)


@dataclass(frozen=True)
class AllOf(_Combined):
    """Every part holds (`and`)."""

    def matches(self, levels: Mapping[str, int | None]) -> bool:
        """Tell whether every part matches."""
        return all(part.matches(levels) for part in self.parts)

    def matches_matrix(
        self, levels: npt.NDArray[np.int8], columns: Mapping[str, int]
    ) -> npt.NDArray[np.bool_]:
        """AND the parts row by row."""
        result = self.parts[0].matches_matrix(levels, columns)
        for part in self.parts[1:]:
            result &= part.matches_matrix(levels, columns)
        return result

    def __str__(self) -> str:
        return self._text("and")


@dataclass(frozen=True)
class AnyOf(_Combined):
    """At least one part holds (`or`)."""

    def matches(self, levels: Mapping[str, int | None]) -> bool:
        """Tell whether any part matches."""
        return any(part.matches(levels) for part in self.parts)

    def matches_matrix(
        self, levels: npt.NDArray[np.int8], columns: Mapping[str, int]
    ) -> npt.NDArray[np.bool_]:
        """OR the parts row by row."""
        result = self.parts[0].matches_matrix(levels, columns)
        for part in self.parts[1:]:
            result |= part.matches_matrix(levels, columns)
        return result

    def __str__(self) -> str:
        # `and` binds tighter than `or`, so an AllOf inside needs no parentheses.
        return " or ".join(str(part) if not isinstance(part, AnyOf) else f"({part})" for part in self.parts)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        value, position = match.group(kind), match.start(kind)
        if kind == "other":
            raise _error(f"caractère inattendu « {value} » / unexpected character {value!r}", position)
        if kind == "word" and value.lower() in _KEYWORDS:
            kind = value = _KEYWORDS[value.lower()]
        tokens.append(_Token(kind, value, position))
    return tokens


def _error(message: str, position: int) -> InvalidRule:
    return InvalidRule(
        f"règle invalide à la position {position + 1} : {message}",
        errors=[{"path": "rule", "position": position + 1, "message": message}],
    )


class _Parser:
    """Recursive descent: rule := all ('or' all)* ; all := atom ('and' atom)* ; atom := '(' rule ')' | cmp."""

    def __init__(self, text: str) -> None:
        self.text, self.tokens, self.index = text, _tokens(text), 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, kind: str, french: str, english: str) -> _Token:
        token = self.peek()
        if token is None or token.kind != kind:
            found = "la fin du texte" if token is None else f"« {token.text} »"
            found_en = "end of text" if token is None else repr(token.text)
            message = f"{french} attendu, trouvé {found} / expected {english}, found {found_en}"
            raise _error(message, token.position if token else len(self.text))
        self.index += 1
        return token

    def rule(self, depth: int = 0) -> Rule:
        if depth > MAX_DEPTH:
            raise _error(f"plus de {MAX_DEPTH} parenthèses imbriquées / nested too deep", 0)
        parts = [self.all_of(depth)]
        while (token := self.peek()) is not None and token.kind == "or":
            self.index += 1
            parts.append(self.all_of(depth))
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def all_of(self, depth: int) -> Rule:
        parts = [self.atom(depth)]
        while (token := self.peek()) is not None and token.kind == "and":
            self.index += 1
            parts.append(self.atom(depth))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def atom(self, depth: int) -> Rule:
        token = self.peek()
        if token is not None and token.text == "(":
            self.index += 1
            inner = self.rule(depth + 1)
            closing = self.peek()
            if closing is None or closing.text != ")":
                raise _error("« ) » attendue / missing ')'", closing.position if closing else len(self.text))
            self.index += 1
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        code = self.take("word", "un code d'indicateur (ex. TIO2)", "an indicator code")
        if not _CODE.fullmatch(code.text.upper()):
            raise _error(
                f"« {code.text} » n'est pas un code d'indicateur / not an indicator code", code.position
            )
        op = self.take("op", "un opérateur (< <= > >= = !=)", "an operator")
        if (extra := self.peek()) is not None and extra.kind == "op":
            unknown = op.text + extra.text
            raise _error(f"opérateur inconnu « {unknown} » / unknown operator", op.position)
        number = self.take("number", "un niveau de 0 à 5", "a level 0–5")
        level = int(number.text)
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            raise _error(f"le niveau {level} est hors de 0–5 / level outside 0–5", number.position)
        return Comparison(code.text.upper(), _SYNONYMS[op.text], level)


def parse_rule(text: str) -> Rule:
    """Read a rule, or raise InvalidRule saying where and why it cannot be read."""
    if len(text) > MAX_RULE_LENGTH:
        raise _error(f"règle trop longue (> {MAX_RULE_LENGTH} caractères) / rule too long", MAX_RULE_LENGTH)
    parser = _Parser(text)
    if not parser.tokens:
        raise _error("règle vide / empty rule", 0)
    rule = parser.rule()
    leftover = parser.peek()
    if leftover is not None:
        raise _error(f"« {leftover.text} » inattendu / unexpected token", leftover.position)
    return rule
