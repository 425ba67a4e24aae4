"""What kind of question about meetings is being asked, and how that reorders the ranking.

Three kinds change what a good answer looks like, beyond its topic:
  asked    "what did members ask about 101": the passages where a panel member puts a
           question, not those where officers report on the same topic;
  promised "was the firearms audit delivered", "what was promised": the actions and offers
           recorded at a meeting, and the later updates that say whether they were done;
  change   "how did 101 answering change between 2019 and 2025": evidence from several
           meetings, not ten passages from the one meeting that talked most about it.
The first two add a bonus to passages of the right kind among the best fused hits; the
third spreads the top of the ranking across meeting dates. All are pure functions over
(row, score) lists, so the engine keeps its own Hit type.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

# A bonus about the size of a first place in BM25 at k=10 (1/11) lifts a passage of the right
# kind over one merely on topic, but not over one far better on topic. The engine passes the
# tuned values from indexer.config (intent_weight, meeting_decay); these are the defaults.
INTENT_WEIGHT = 0.05
INTENT_DEPTH = 30
# For "change" questions: a hit's score is multiplied by this for each better-ranked hit
# already taken from the same meeting, so a second meeting's best passage can overtake a
# first meeting's fourth.
SAME_MEETING_DECAY = 0.85

ASKED_RE = re.compile(
    r"\b(?:members?|councillors?|cllrs?|panel|questions?)\b.{0,60}?"
    r"\b(?:ask|asks|asked|asking|raise|raised|query|queried|question|questioned|questions|challenge|challenged|put)\b"
    r"|\bquestions?\s+(?:from|by|put by|asked by)\b",
    re.I,
)
PROMISED_RE = re.compile(
    r"\b(?:promis\w*|pledg\w*|commit(?:s|ted|ment|ments)?|undert(?:ook|aken|aking|ake)|agreed to|offer(?:s|ed)?|"
    r"follow(?:ed)?[- ]up|deliver(?:ed)?|discharged|report(?:ed)? back|carried out|agree to|"
    r"ever (?:given|provided|done|received|sent|happened|turned up|turn up|came through|come through|arrived?)|"
    # How people put it: "the police said they'd come back on …", "did they hand it over?"
    r"c[oa]me back (?:yet )?(?:to|on|with|about)|(?:said|say) (?:they|he|she|it)(?:['’]d| would| will)|"
    r"hand(?:ed)? (?:it |them )?over|pass(?:ed)? on the)\b",
    re.I,
)
# "… and was it delivered?", "did that actually arrive?", "did it follow through": the
# outcome of a promise lies at later meetings than the one the question dates.
FOLLOW_UP_RE = re.compile(
    r"\b(?:did|was|were|has|have|had|is|are)\s+(?:it|that|this|they|these|those|anything"
    r"|the\s+(?:promise|action|update|commitment|offer|report|work)s?)\s+"
    r"(?:(?:actually|ever|really|then|since|now|yet|been|get|got)\s+){0,2}"
    r"(?:deliver(?:ed)?|done|kept|honou?red|carried\s+out|completed?|discharged|arrived?"
    r"|happen(?:ed)?|provided|sent|received|followed\s+up|follow(?:ed)?\s+through)\b"
    r"|\b(?:follow(?:ed)?\s+through|since\s+then|later\s+(?:figures|updates?|meetings?))\b",
    re.I,
)
CHANGE_RE = re.compile(
    r"\b(?:chang\w*|trends?|over (?:the )?(?:years|time)|evolv\w*|compar\w*|year on year)\b", re.I
)
YEAR_RE = re.compile(r"\b(?:19|20)\d{2}\b")

# Roles of those who question at a meeting rather than report to it.
QUESTIONER_ROLES = frozenset({"Member", "Chair", "Vice Chair"})
QUESTION_SENTENCE_RE = re.compile(
    r"\b(?:asked|asks|queried|questioned|sought|enquired|pressed|challenged|raised)\b|\?", re.I
)
MEMBER_ASKS_RE = re.compile(
    r"\b(?:Member|Members|Councillor|Cllr|Chair|Vice[- ]Chair)\b[^.?!]{0,80}?"
    r"\b(?:asked|queried|questioned|sought|enquired|pressed|challenged|raised)\b|\bfollowing a question from\b",
)


@dataclass(frozen=True)
class Intent:
    """What the question asks for besides its topic."""

    asked: bool = False
    promised: bool = False
    change: bool = False
    followed_up: bool = False  # asks what came of it later

    @property
    def any(self) -> bool:
        return self.asked or self.promised or self.change


def read_intent(query: str) -> Intent:
    """Which of the meeting-question kinds the query is (any, all or none of them)."""
    years = set(YEAR_RE.findall(query))
    return Intent(
        asked=ASKED_RE.search(query) is not None,
        promised=PROMISED_RE.search(query) is not None,
        change=CHANGE_RE.search(query) is not None or len(years) >= 2,
        followed_up=FOLLOW_UP_RE.search(query) is not None,
    )


def member_asks(text: str, speaker_roles: Sequence[str | None]) -> bool:
    """A passage where a panel member or chair puts a question."""
    if MEMBER_ASKS_RE.search(text):
        return True
    return bool(QUESTIONER_ROLES & {r for r in speaker_roles if r}) and QUESTION_SENTENCE_RE.search(text) is not None


Row = TypeVar("Row")


def boost(
    ranked: Sequence[tuple[Row, float]], wanted: Callable[[Row], bool], weight: float = INTENT_WEIGHT,
    depth: int = INTENT_DEPTH,
) -> list[tuple[Row, float]]:
    """Add `weight` to the score of each of the first `depth` hits that `wanted` accepts;
    re-sort, ties kept in their old order."""
    rescored = [
        (row, score + weight if n < depth and wanted(row) else score, n) for n, (row, score) in enumerate(ranked)
    ]
    rescored.sort(key=lambda t: (-t[1], t[2]))
    return [(row, score) for row, score, _ in rescored]


def spread(
    ranked: Sequence[tuple[Row, float]], meeting: Callable[[Row], Hashable], decay: float = SAME_MEETING_DECAY,
    depth: int = INTENT_DEPTH,
) -> list[tuple[Row, float]]:
    """Reorder the first `depth` hits greedily: each next pick is the best score after
    multiplying by `decay` once per hit already picked from the same meeting; that
    discounted score is the one returned, so scores still fall with rank."""
    head, tail = list(ranked[:depth]), list(ranked[depth:])
    taken: Counter[Hashable] = Counter()
    out: list[tuple[Row, float]] = []
    while head:
        best = max(range(len(head)), key=lambda i: (head[i][1] * decay ** taken[meeting(head[i][0])], -i))
        row, score = head.pop(best)
        discounted = score * decay ** taken[meeting(row)]
        taken[meeting(row)] += 1
        out.append((row, min(discounted, out[-1][1]) if out else discounted))
    floor = out[-1][1] if out else float("inf")
    return out + [(row, min(score, floor)) for row, score in tail]
