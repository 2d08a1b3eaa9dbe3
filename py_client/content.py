"""The worksheet's content, as data: the one source of truth.

The page's form (built by ``site_tools.worksheet_markdown``), validation and exports in ``py_client``,
and the therapist's view all read these definitions, so a prompt is worded in exactly one place.

The wording comes from the "Building Trust and Safety in Therapy" worksheet. Its text was extracted from a
PDF and some words were broken; they are restored here only where the intended word is clear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .prompt_kinds import PROMPT_KINDS
from .section_kinds import SECTION_KINDS


@dataclass(frozen=True)
class Scale:
    """A whole-number rating with the meaning of some of its points."""

    low: int
    high: int
    anchors: tuple[tuple[int, str], ...] = ()

    def describe(self) -> str:
        """The anchors as one sentence, for labels and exports: '1 = ..., 10 = ...'."""
        return ", ".join(f"{point} = {meaning}" for point, meaning in self.anchors)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    label: str
    explanation: str


@dataclass(frozen=True)
class Prompt:
    """One answerable question. ``kind`` names its entry in ``prompt_kinds.PROMPT_KINDS``: 'text' (free
    text), 'list' (``items`` short lines) or 'scale'."""

    id: str
    label: str
    hint: str = ""
    kind: str = "text"
    items: int = 0
    scale: Scale | None = None
    # Where the source lost part of this prompt, a plain word to the reader about what is restored.
    source_note: str = ""

    def __post_init__(self):
        if self.kind not in PROMPT_KINDS:
            raise ValueError(f"prompt {self.id!r} is of kind {self.kind!r}; the kinds are {', '.join(PROMPT_KINDS)}")


@dataclass(frozen=True)
class Column:
    """One column of the session log. ``kind`` is 'date', 'text' or 'scale'."""

    id: str
    label: str
    kind: str
    hint: str = ""
    scale: Scale | None = None
    required: bool = False


@dataclass(frozen=True)
class Section:
    """A part of the worksheet. ``kind`` names its entry in ``section_kinds.SECTION_KINDS``: 'checklist',
    'prompts' or 'log'."""

    id: str
    title: str
    kind: str
    intro: str = ""
    items: tuple[ChecklistItem, ...] = ()
    prompts: tuple[Prompt, ...] = ()
    columns: tuple[Column, ...] = ()

    def __post_init__(self):
        if self.kind not in SECTION_KINDS:
            raise ValueError(f"section {self.id!r} is of kind {self.kind!r}; the kinds are {', '.join(SECTION_KINDS)}")


@dataclass(frozen=True)
class Worksheet:
    id: str
    title: str
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)


TRUST_SCALE = Scale(1, 10, ((1, "I completely distrust my therapist"), (10, "I trust my therapist completely")))
SAFETY_SCALE = Scale(1, 10, ((1, "I don't feel safe at all"), (10, "I feel completely safe with my therapist")))
# The source shows only "very helpful, 5 = moderately helpful, 2" of this scale's key: "very helpful" ends a
# pair whose number was lost (read as 10, the top), and the low anchor was lost too, so only the two legible
# anchors are kept rather than guessing the third. The prompt's note says so.
HELPFULNESS_SCALE = Scale(1, 10, ((10, "very helpful"), (5, "moderately helpful")))

WORKSHEET = Worksheet(
    id="building-trust-and-safety",
    title="Building Trust and Safety in Therapy",
    sections=(
        Section(
            id="signs",
            title="Signs that trust may be lacking",
            kind="checklist",
            intro=(
                "If you are holding back in therapy sessions, trust may be lacking. "
                "Check off any of the statements that apply to you."
            ),
            items=(
                ChecklistItem(
                    "limited-disclosure",
                    "Limited Disclosure",
                    "You are hesitant to share specific thoughts, feelings, or experiences with your therapist, "
                    "leading to incomplete or guarded communication during sessions.",
                ),
                ChecklistItem(
                    "avoidance-of-vulnerable-topics",
                    "Avoidance of Vulnerable Topics",
                    "You avoid topics that trigger strong emotions or discomfort, preferring to focus on "
                    "surface-level issues or less challenging subjects.",
                ),
                ChecklistItem(
                    "minimal-engagement",
                    "Minimal Engagement",
                    "You passively participate in sessions, providing superficial responses or one-word answers "
                    "to your therapist's questions without exploring underlying concerns or experiences.",
                ),
                ChecklistItem(
                    "resistance-to-feedback",
                    "Resistance to Feedback",
                    "You react defensively or dismissively to your therapist's feedback or insights, resisting "
                    "introspection or exploring alternative perspectives.",
                ),
                ChecklistItem(
                    "reluctance-to-explore-past-trauma",
                    "Reluctance to Explore Past Trauma",
                    "You are unwilling to explore past traumas or painful experiences, fearing emotional "
                    "overwhelm or re-traumatization.",
                ),
                ChecklistItem(
                    "dishonesty-or-concealment",
                    "Dishonesty or Concealment",
                    "You withhold essential information or present a curated version of yourself, fearing judgment or rejection.",
                ),
                ChecklistItem(
                    "difficulty-establishing-boundaries",
                    "Difficulty Establishing Boundaries",
                    "You struggle to assert your boundaries or advocate for needs, leading to discomfort or resentment.",
                ),
                ChecklistItem(
                    "inconsistency-in-attendance-or-engagement",
                    "Inconsistency in Attendance or Engagement",
                    "You frequently cancel or reschedule therapy appointments or express disinterest in "
                    "engaging in recommended therapeutic homework or exercises.",
                ),
            ),
        ),
        Section(
            id="reflections",
            title="What to Do",
            kind="prompts",
            prompts=(
                Prompt(
                    "trust-meaning",
                    "What does trust mean to you?",
                    "Describe in your own words what trust looks like in any relationship, including with your therapist.",
                ),
                Prompt(
                    "trust-experience",
                    "Think about a past experience where you felt trust was well established. "
                    "What factors contributed to this feeling of trust?",
                ),
                Prompt(
                    "safety-meaning",
                    "What does safety mean to you?",
                    "Define what feeling safe looks like in various settings. What makes a space or "
                    "interaction feel safe to you?",
                    source_note=(
                        "About this question: the original reads “What a space or interaction feel safe to you?”; "
                        "the word “makes” is ours, added so that the question reads as it was clearly meant."
                    ),
                ),
                Prompt("safety-conditions", "What specific conditions do you need in therapy to feel safe?"),
                Prompt(
                    "safety-communication",
                    "How might you communicate your safety needs to your therapist?",
                    "What would make you feel comfortable sharing these needs?",
                ),
                Prompt(
                    "relationship-needs",
                    # Only "...therapeutic relationship." survived the extraction of this prompt; the
                    # rest is restored from the three numbered lines that follow it.
                    "List three things you need to feel safe in the therapeutic relationship.",
                    kind="list",
                    items=3,
                    source_note=(
                        "About this question: only its last words (“…therapeutic relationship.”) and the lines "
                        "numbered 1 to 3 survive in the original worksheet; the wording above is our reconstruction."
                    ),
                ),
                Prompt(
                    "hoped-actions",
                    "What actions or behaviors do you hope to see from your therapist that would help you "
                    "build trust and feel safe?",
                ),
                Prompt(
                    "feedback",
                    "How would you like to give and receive feedback with your therapist?",
                    "Consider the best ways for you to communicate openly and effectively.",
                ),
            ),
        ),
        Section(
            id="sessions",
            title="Session log",
            kind="log",
            intro=(
                "Use the following chart over the next three months. Note the date and topics discussed in "
                "each session. Write down your level of trust with your therapist, where 1 = I completely "
                "distrust my therapist, to 10 = I trust my therapist completely. Then, rate how safe you feel "
                "with your therapist, where 1 = I don't feel safe at all, and 10 = I feel completely safe with "
                "my therapist. Finally, note what your therapist could have done to increase your feelings of "
                "safety and/or trust in each session."
            ),
            columns=(
                Column("date", "Date", "date", required=True),
                Column("topic", "Topic", "text", "Topics discussed in the session"),
                Column("trust", "Trust (1-10)", "scale", TRUST_SCALE.describe(), TRUST_SCALE),
                Column("safety", "Safety (1-10)", "scale", SAFETY_SCALE.describe(), SAFETY_SCALE),
                Column(
                    "therapist_role",
                    "Therapist Role",
                    "text",
                    "What your therapist could have done to increase your feelings of safety and/or trust",
                ),
            ),
        ),
        Section(
            id="after",
            title="After completing this activity",
            kind="prompts",
            prompts=(
                Prompt(
                    "trust-and-safety-now",
                    "After completing this activity, do you trust your therapist? Do you feel safe within the "
                    "therapeutic relationship? Why or why not?",
                ),
            ),
        ),
        Section(
            id="exercise",
            title="Reflections on This Exercise",
            kind="prompts",
            prompts=(
                Prompt("surprise", "Did anything surprise you about this exercise?", "If so, describe."),
                Prompt(
                    "helpfulness",
                    "How helpful was this exercise?",
                    HELPFULNESS_SCALE.describe(),
                    kind="scale",
                    scale=HELPFULNESS_SCALE,
                    source_note=(
                        "About this scale: only part of its key survives in the original worksheet (“…very helpful, "
                        "5 = moderately helpful, 2…”). “Very helpful” is read here as 10, the top of the scale; what "
                        "1 meant was lost."
                    ),
                ),
            ),
        ),
    ),
)
