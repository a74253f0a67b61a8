"""Controlled vocabularies (clinical-reference.md §11); every choice is an Enum."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "BodyRegion",
    "CutaneousSubset",
    "Laterality",
    "Method",
    "Modality",
    "Morphology",
    "NoteType",
    "ReviewDecision",
    "ReviewState",
    "Role",
    "Sex",
    "SourceKind",
    "Status",
]


class Status(StrEnum):
    """Whether a finding was recorded as present, recorded as absent, or not known."""

    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


class ReviewState(StrEnum):
    """Whether a person has confirmed a fact; extraction and image reading only suggest."""

    CONFIRMED = "confirmed"
    SUGGESTED = "suggested"
    REJECTED = "rejected"


class ReviewDecision(StrEnum):
    """What a reviewer decided about a queue item.

    Facts are confirmed or rejected; items that are not facts (an at-risk prompt, a subset
    that contradicts LeRoy) are acknowledged or dismissed. ``confirm`` and ``reject`` on such
    an item mean acknowledge and dismiss.
    """

    CONFIRM = "confirm"
    REJECT = "reject"
    ACKNOWLEDGE = "acknowledge"
    DISMISS = "dismiss"


class Role(StrEnum):
    """A registry user's role: clinicians review and edit, researchers read, admins manage."""

    ADMIN = "admin"
    CLINICIAN = "clinician"
    RESEARCHER = "researcher"


class SourceKind(StrEnum):
    """Where a fact came from."""

    STRUCTURED = "structured"
    NOTE = "note"
    IMAGE = "image"
    IMPORT = "import"


class Sex(StrEnum):
    """Administrative sex as recorded."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Morphology(StrEnum):
    """Calcinosis morphology (clinical-reference §11.5; Florence and Blane crosswalk in §4)."""

    NODULAR = "nodular"
    SHEET_LIKE = "sheet_like"
    RETICULAR = "reticular"
    MIXED = "mixed"
    UNSPECIFIED = "unspecified"


class BodyRegion(StrEnum):
    """Body regions for skin findings, mRSS sites and calcinosis lesions (§11.5)."""

    FINGERS = "fingers"
    HAND = "hand"
    WRIST = "wrist"
    FOREARM = "forearm"
    ELBOW = "elbow"
    UPPER_ARM = "upper_arm"
    SHOULDER = "shoulder"
    CHEST = "chest"
    ABDOMEN = "abdomen"
    BACK = "back"
    BUTTOCK_HIP = "buttock_hip"
    THIGH = "thigh"
    KNEE = "knee"
    LOWER_LEG = "lower_leg"
    ANKLE_FOOT = "ankle_foot"
    FACE = "face"
    NECK = "neck"


class Laterality(StrEnum):
    """Side of the body, where it applies."""

    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"
    UNSPECIFIED = "unspecified"


class CutaneousSubset(StrEnum):
    """LeRoy cutaneous subsets of SSc (LeRoy et al., J Rheumatol 1988;15:202-5)."""

    DCSSC = "dcssc"
    LCSSC = "lcssc"
    SINE = "sine"
    UNDETERMINED = "undetermined"


class Method(StrEnum):
    """How a finding was made (for calcinosis: how the lesion was detected)."""

    CLINICAL_EXAMINATION = "clinical_examination"
    PATIENT_REPORT = "patient_report"
    RADIOGRAPH = "radiograph"
    ULTRASOUND = "ultrasound"
    CT = "ct"
    MRI = "mri"
    PHOTOGRAPH = "photograph"
    LABORATORY = "laboratory"
    BIOPSY = "biopsy"


class NoteType(StrEnum):
    """Kinds of free-text document."""

    CLINIC_LETTER = "clinic_letter"
    RADIOLOGY_REPORT = "radiology_report"
    DISCHARGE_SUMMARY = "discharge_summary"
    OTHER = "other"


class Modality(StrEnum):
    """Imaging modality of a stored image."""

    RADIOGRAPH = "radiograph"
    ULTRASOUND = "ultrasound"
    CT = "ct"
    MRI = "mri"
    PHOTOGRAPH = "photograph"
