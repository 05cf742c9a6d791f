"""What the hotline says back to observers by SMS (the same format as chairs; their counts are
compared with the chair's and never replace them). Translated like the chairs' texts."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from hotline.domain.languages import _
from hotline.domain.model import Stage
from hotline.domain.wording.sms import format_counts, label, lower_label


def readback(precinct: str, sections: Sequence[tuple[Stage, Mapping[str, int]]], attendance: int | None,
             code: str) -> str:
    """The observer's counts read back, with the code to confirm them."""
    lines = [_("{precinct} observer count:").format(precinct=precinct)]
    lines += [f"{label(stage)}: {format_counts(counts)}" for stage, counts in sections]
    if attendance is not None:
        lines.append(_("Attendance: {n}").format(n=attendance))
    lines.append(_("Reply YES {code} to confirm, or send corrected numbers. It is compared with the chair's "
                   "report, never used instead of it.").format(code=code))
    return "\n".join(lines)


def recorded(precinct: str, stages: Sequence[Stage]) -> str:
    return _("Thank you: your count for {precinct} ({stages}) is recorded and compared with the chair's report.") \
        .format(precinct=precinct, stages=", ".join(lower_label(s) for s in stages))


def not_assigned(precinct: str, codes: Sequence[str]) -> str:
    if not codes:
        return _("This phone is not assigned to any precinct as an observer. Nothing was recorded.")
    return _("You are not an observer for {precinct}. Nothing was recorded. Your precincts: {codes}.").format(
        precinct=precinct, codes=", ".join(codes))


def which_precinct(codes: Sequence[str]) -> str:
    return _("You observe more than one precinct ({codes}). Start the text with the precinct code, e.g. "
             "'{first} first: Biden 12'.").format(codes=", ".join(codes), first=codes[0])


def help_(codes: Sequence[str]) -> str:
    return _("Observer line. Text your counts as the chair would, e.g. 'first: Biden 12, Pete 45', then reply "
             "YES and the code we send back. Your counts are compared with the chair's and never replace them. "
             "Your precincts: {codes}. STATUS shows what we have from you.").format(codes=", ".join(codes) or "-")


def only_counts() -> str:
    return _("Observers send counts only (first, final or delegates). Text HELP for the format.")


def status(rows: Sequence[tuple[str, Sequence[Stage]]]) -> str:
    if not rows:
        return _("No count from you is recorded yet.")
    parts = "; ".join(f"{code}: {', '.join(lower_label(s) for s in stages)}" for code, stages in rows)
    return _("Your counts recorded: {parts}.").format(parts=parts)


def cancelled(codes: Sequence[str]) -> str:
    return _("Dropped your unconfirmed count for {codes}. Nothing was recorded.").format(codes=", ".join(codes))


def code_locked() -> str:
    return _("Too many wrong codes; that count was not recorded. Send it again for a new code.")
