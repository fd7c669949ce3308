"""Read guidance packs from YAML and check that they are well formed.

A malformed pack is refused at load time with the pack, rule and reason, so a
local authority editing its pack learns of a mistake before a practitioner does.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml

from bot.guidance.model import (
    MOVE_DIRECTIONS,
    PARTS,
    PERIOD_UNITS,
    RULE_KINDS,
    AnchorChoice,
    Citation,
    Due,
    Escalation,
    Move,
    OwnerChoice,
    Pack,
    Pathway,
    Period,
    Repeat,
    Rule,
)

PACKS_DIR = Path(__file__).parent / "packs"
CONDITION_KEYS = ({"step"}, {"step", "outcome"}, {"fact", "equals"}, {"fact", "in"}, {"all"}, {"any"}, {"not"})
FACTS = (
    "pathway",
    "referrer_advice_only",
    "lead_professional_named",
    "consent_to_engage",
    "lawful_basis_to_share",
    "case_open",
)


class PackError(ValueError):
    pass


@dataclass(frozen=True)
class _Document:
    file: str
    title: str
    name: str  # what practitioners call it ("CADS"), for short references


def _anchors(raw: Any, where: str) -> tuple[AnchorChoice, ...]:
    """``due.from``: {step: ID}, or a list of {when: COND, step: ID} ending with {step: ID}."""
    choices = raw if isinstance(raw, list) else [raw or {}]
    anchors = []
    for choice in choices:
        if not isinstance(choice, dict) or not choice.get("step"):
            raise PackError(f"{where}: due.from must name a step, e.g. {{step: ...}}, or list {{when: ..., step: ...}}")
        anchors.append(AnchorChoice(choice["step"], _check_condition(choice["when"], where) if "when" in choice else None))
    if anchors[-1].when is not None:
        raise PackError(f"{where}: due.from's last choice must have no when (it is the otherwise)")
    return tuple(anchors)


def _date(raw: Any, where: str) -> Optional[dt.date]:
    if raw is None:
        return None
    if isinstance(raw, dt.date):
        return raw
    raise PackError(f"{where}: {raw!r} is not a date (YYYY-MM-DD)")


def _period(raw: Any, where: str) -> Period:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise PackError(f"{where}: a period is one of {PERIOD_UNITS} with a number, e.g. {{weeks: 4}}")
    ((unit, amount),) = raw.items()
    if unit not in PERIOD_UNITS or not isinstance(amount, int) or amount < 0:
        raise PackError(f"{where}: {raw!r} is not a period like {{working_days: 5}}")
    return Period(unit, amount)


def _citation(raw: Any, doc: _Document, where: str) -> Citation:
    if not isinstance(raw, dict) or not raw.get("section") or not raw.get("quote"):
        raise PackError(f"{where}: a citation needs a section and a quote")
    return Citation(document=doc.file, title=doc.title, section=str(raw["section"]).strip(),
                    quote=str(raw["quote"]).strip(), document_name=doc.name)


def _check_condition(cond: Any, where: str) -> dict:
    if not isinstance(cond, dict):
        raise PackError(f"{where}: a condition is a mapping, not {cond!r}")
    keys = set(cond) - {"reason"}
    if keys not in CONDITION_KEYS:
        raise PackError(f"{where}: unknown condition {cond!r}")
    if "fact" in keys and cond["fact"] not in FACTS:
        raise PackError(f"{where}: unknown fact {cond['fact']!r} (known: {', '.join(FACTS)})")
    for key in ("all", "any"):
        if key in keys:
            for sub in cond[key]:
                _check_condition(sub, where)
    if "not" in keys:
        _check_condition(cond["not"], where)
    return cond


def _condition_steps(cond: dict) -> Iterable[str]:
    if "step" in cond:
        yield cond["step"]
    for key in ("all", "any"):
        for sub in cond.get(key, ()):
            yield from _condition_steps(sub)
    if "not" in cond:
        yield from _condition_steps(cond["not"])


def _rule(raw: dict, pack_id: str, doc: _Document) -> Rule:
    rid = raw.get("id")
    where = f"{pack_id}: rule {rid or '?'}"
    if not rid or not raw.get("title"):
        raise PackError(f"{where}: every rule needs an id and a title")
    kind = raw.get("kind")
    if kind not in RULE_KINDS:
        raise PackError(f"{where}: kind {kind!r} is not one of {', '.join(RULE_KINDS)}")
    owners_raw = raw.get("owner")
    if isinstance(owners_raw, str):
        owners = (OwnerChoice(owners_raw),)
    elif isinstance(owners_raw, list):
        owners = tuple(
            OwnerChoice(o["role"], _check_condition(o["when"], where) if "when" in o else None) for o in owners_raw
        )
    elif owners_raw is None and kind == "knowledge":
        owners = ()
    else:
        raise PackError(f"{where}: owner must be a role or a list of {{when, role}}")
    due = None
    if raw.get("due"):
        d = raw["due"]
        anchors = _anchors(d.get("from"), where)
        if d.get("at") is not None:
            if d.get("within") is not None or d.get("earliest") is not None:
                raise PackError(f"{where}: due.at (a trigger date) goes without due.within and due.earliest")
            due = Due(anchors, _period(d["at"], where), None, trigger=True)
        else:
            due = Due(anchors, _period(d.get("within"), where),
                      _period(d["earliest"], where) if d.get("earliest") else None)
    repeat = None
    if raw.get("repeat"):
        r = raw["repeat"]
        repeat = Repeat(_period(r.get("every"), where), _period(r.get("at_most") or r.get("every"), where))
    escalate = None
    if raw.get("escalate"):
        e = raw["escalate"]
        escalate = Escalation(
            _period(e.get("after"), where), e.get("to"), _citation(e.get("citation"), doc, where)
        )
    if kind == "consent" and raw.get("consent") not in ("engage", "share"):
        raise PackError(f"{where}: a consent rule says consent: engage or consent: share")
    if raw.get("basis") is not None and (kind != "consent" or raw.get("consent") != "share"):
        raise PackError(f"{where}: only a consent rule for sharing (consent: share) names the basis it needs")
    if kind == "knowledge" and not raw.get("answer"):
        raise PackError(f"{where}: a knowledge rule needs an answer")
    if raw.get("part_of") not in (None, *PARTS):
        raise PackError(f"{where}: part_of is one of {', '.join(PARTS)}")
    if raw.get("asks") and kind != "knowledge":
        raise PackError(f"{where}: only a knowledge rule lists asks (the questions it answers)")
    if raw.get("optional") not in (None, True, False) or (raw.get("optional") and (raw.get("due") or raw.get("repeat"))):
        raise PackError(f"{where}: optional is true or false, and an optional step has no due date")
    return Rule(
        id=rid,
        pack=pack_id,
        title=str(raw["title"]).strip(),
        kind=kind,
        citation=_citation(raw.get("citation"), doc, where),
        owners=owners,
        when=_check_condition(raw["when"], where) if raw.get("when") else None,
        requires=tuple(_check_condition(c, where) for c in raw.get("requires") or ()),
        outcomes=tuple(raw.get("outcomes") or ()),
        consent=raw.get("consent"),
        consent_basis=raw.get("basis"),
        due=due,
        repeat=repeat,
        each=raw.get("each"),
        escalate=escalate,
        also_cites=tuple(_citation(c, doc, where) for c in raw.get("also_cites") or ()),
        reading=(str(raw["reading"]).strip() if raw.get("reading") else None),
        answer=(" ".join(str(raw["answer"]).split()) if raw.get("answer") else None),
        topics=tuple(raw.get("topics") or ()),
        asks=tuple(" ".join(str(a).split()) for a in raw.get("asks") or ()),
        part_of=raw.get("part_of"),
        optional=bool(raw.get("optional")),
        for_the_family=_flag(raw, "for_the_family", where),
    )


def _flag(raw: dict, key: str, where: str) -> bool:
    if raw.get(key) not in (None, True, False):
        raise PackError(f"{where}: {key} is true or false")
    return bool(raw.get(key))


def load_pack(path: Path) -> Pack:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PackError(f"{path}: not valid YAML: {exc}") from None
    pack_id = raw.get("pack")
    doc = raw.get("document") or {}
    if not pack_id or not doc.get("file") or not doc.get("title"):
        raise PackError(f"{path}: a pack needs pack, document.file and document.title")
    document = _Document(doc["file"], doc["title"], str(doc.get("name") or doc["title"]).strip())
    pack = Pack(
        id=pack_id,
        version=int(raw.get("version", 1)),
        document=doc["file"],
        title=doc["title"],
        terms=dict(raw.get("terms") or {}),
        roles=dict(raw.get("roles") or {}),
        name=document.name,
        called=tuple(str(c).lower() for c in doc.get("called") or ()),
        source=Path(path),
        dated=_date(doc.get("dated"), f"{path}: document.dated"),
        review_by=_date(doc.get("review_by"), f"{path}: document.review_by"),
    )
    for rule_raw in raw.get("rules") or ():
        rule = _rule(rule_raw, pack_id, document)
        if rule.id in pack.rules:
            raise PackError(f"{pack_id}: rule id {rule.id} is used twice")
        pack.rules[rule.id] = rule
    for pw in raw.get("pathways") or ():
        where = f"{pack_id}: pathway {pw.get('id')}"
        pathway = Pathway(
            id=pw["id"],
            pack=pack_id,
            title=pw["title"],
            summary=pw.get("summary", ""),
            citation=_citation(pw.get("citation"), document, where),
            steps=tuple(pw.get("steps") or ()),
            outcome_path=pw.get("outcome_path"),
            path_title=pw.get("path_title"),
        )
        for step in pathway.steps:
            if step not in pack.rules:
                raise PackError(f"{where}: step {step} is not a rule in this pack")
            if pack.rules[step].kind == "knowledge":
                raise PackError(f"{where}: {step} is knowledge, not a step")
        pack.pathways[pathway.id] = pathway
    for mv in raw.get("moves") or ():
        move = _move(mv, pack_id, document)
        if move.id in pack.moves:
            raise PackError(f"{pack_id}: move id {move.id} is used twice")
        pack.moves[move.id] = move
    _check_references(pack)
    if "sections" in raw:
        pack.sections = _sections(raw["sections"], pack)
    return pack


MOVE_KEYS = {"id", "title", "towards", "from", "to", "after", "starts", "counts_from", "citation", "reading"}
# What a moved case's new episode counts from: the day ``after`` was recorded, or the move's own day.
COUNTS_FROM = ("after", "move")


def _move(raw: Any, pack_id: str, doc: _Document) -> Move:
    """One ``moves:`` entry. Its pathways and steps may be other packs': the registry checks them."""
    where = f"{pack_id}: move {raw.get('id') if isinstance(raw, dict) else '?'}"
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("title") or not raw.get("to") or not raw.get("from"):
        raise PackError(f"{where}: a move needs id, title, from (pathways), to (a pathway) and a citation")
    unknown = set(raw) - MOVE_KEYS
    if unknown:
        raise PackError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    if raw.get("towards") not in MOVE_DIRECTIONS:
        raise PackError(f"{where}: towards must be one of {', '.join(MOVE_DIRECTIONS)}")
    after, starts = raw.get("after") or {}, raw.get("starts") or {}
    for name, part in (("after", after), ("starts", starts)):
        if part and (not isinstance(part, dict) or not part.get("step") or set(part) - {"step", "outcome"}):
            raise PackError(f"{where}: {name} is {{step: ID}} or {{step: ID, outcome: ...}}")
    counts_from = raw.get("counts_from", "move")
    if counts_from not in COUNTS_FROM or (counts_from == "after" and not after):
        raise PackError(f"{where}: counts_from is 'move' (the default) or 'after' (with an after step)")
    outcomes = after.get("outcome") or []
    froms = raw["from"] if isinstance(raw["from"], list) else [raw["from"]]
    return Move(
        id=raw["id"], pack=pack_id, title=" ".join(str(raw["title"]).split()), towards=raw["towards"],
        from_pathways=tuple(froms), to=raw["to"], citation=_citation(raw.get("citation"), doc, where),
        after=after.get("step"), after_outcomes=tuple(outcomes if isinstance(outcomes, list) else [outcomes]),
        starts=starts.get("step"), starts_outcome=starts.get("outcome"), counts_from_after=counts_from == "after",
        reading=" ".join(str(raw.get("reading") or "").split()),
    )


def _sections(raw: Any, pack: Pack) -> list[tuple[str, Optional[str]]]:
    """The document's section headings, in order; every section a citation uses must be listed."""
    sections: list[tuple[str, Optional[str]]] = []
    for item in raw or ():
        if isinstance(item, dict) and set(item) == {"heading", "not_encoded"} and item["heading"] and item["not_encoded"]:
            sections.append((" ".join(str(item["heading"]).split()), " ".join(str(item["not_encoded"]).split())))
        elif isinstance(item, str) and item.strip():
            sections.append((" ".join(item.split()), None))
        else:
            raise PackError(f"{pack.id}: sections: {item!r} is not a heading or {{heading: ..., not_encoded: why}}")
    listed = dict(sections)
    for heading in listed:
        if [h for h, _ in sections].count(heading) > 1:
            raise PackError(f"{pack.id}: sections: {heading!r} is listed twice")
    cited = [(f"rule {r.id}", c) for r in pack.rules.values() for c in r.citations]
    cited += [(f"rule {r.id} escalation", r.escalate.citation) for r in pack.rules.values() if r.escalate]
    cited += [(f"pathway {p.id}", p.citation) for p in pack.pathways.values()]
    cited += [(f"move {m.id}", m.citation) for m in pack.moves.values()]
    for where, cite in cited:
        section = " ".join(cite.section.split())
        if section not in listed:
            raise PackError(f"{pack.id}: {where}: section {cite.section!r} is not listed under sections")
        if listed[section] is not None:
            raise PackError(f"{pack.id}: {where}: cites section {cite.section!r}, which sections marks not_encoded")
    return sections


def _check_references(pack: Pack) -> None:
    optional = {r.id for r in pack.rules.values() if r.optional}
    for rule in pack.rules.values():
        where = f"{pack.id}: rule {rule.id}"
        # An option may be one way to meet a requirement (inside any:), never the requirement itself.
        waits_for = {c["step"] for c in rule.requires if "step" in c} & optional
        if waits_for:
            raise PackError(f"{where}: requires {', '.join(sorted(waits_for))}, which is optional (nothing waits for an option)")
        conds = [c for c in (rule.when, *rule.requires) if c] + [o.when for o in rule.owners if o.when]
        named = [s for c in conds for s in _condition_steps(c)]
        named += [s for a in (rule.due.anchors if rule.due else ()) if a.when for s in _condition_steps(a.when)]
        named += [x for x in (rule.each, *(rule.due.anchor_steps if rule.due else ())) if x]
        for step in named:
            if step not in pack.rules:
                raise PackError(f"{where}: refers to unknown rule {step}")
        for owner in rule.owners:
            if owner.role not in pack.roles:
                raise PackError(f"{where}: owner role {owner.role} is not listed under roles")


def load_packs(directory: Optional[Path] = None, only: Optional[Iterable[str]] = None) -> dict[str, Pack]:
    directory = Path(directory or PACKS_DIR)
    wanted = set(only) if only else None
    packs: dict[str, Pack] = {}
    for path in sorted(directory.glob("*.yaml")):
        pack = load_pack(path)
        if wanted is None or pack.id in wanted:
            packs[pack.id] = pack
    if wanted:
        missing = wanted - set(packs)
        if missing:
            raise PackError(f"no pack named {', '.join(sorted(missing))} in {directory}")
    return packs
