"""Free-text matching shared by plan and procedure search: folding, abbreviations, stop-words,
typo repair and an IDF-weighted coverage score.

Why coverage instead of raw BM25: the chatbot must decide *whether* the knowledge base answers a
question at all (and say so honestly when it does not), so the score has to mean the same thing
for every plan, kind and question length.  ``coverage`` is the share of the question's
information (IDF-weighted words) found in a fact, in [0, 1]; word pairs ("trực tuyến",
"học bạ") add a smaller bonus so that facts with the words *together* rank first.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Iterable, Optional, Sequence

from rapidfuzz import fuzz, process

from document_parsing.text_utils import fold, fold_chunk, fold_words, nfc

# Abbreviations users (and plans) write, keyed on the folded form; both the question and the
# indexed text are expanded, so "CNTT" in a plan matches "công nghệ thông tin" typed in full.
ABBREVIATIONS: dict[str, str] = {
    "tthc": "thu tuc hanh chinh", "gv": "giao vien", "cntt": "cong nghe thong tin", "kh": "ke hoach",
    "gd": "giao duc", "gddt": "giao duc va dao tao", "gd&dt": "giao duc va dao tao", "gd-dt": "giao duc va dao tao",
    "thcs": "trung hoc co so", "thpt": "trung hoc pho thong", "ubnd": "uy ban nhan dan",
    "pgd": "phong giao duc", "sgd": "so giao duc", "hs": "hoc sinh", "cb": "can bo", "cbql": "can bo quan ly",
    "cc": "cong chuc", "vc": "vien chuc", "attt": "an toan thong tin", "cds": "chuyen doi so",
    "tp": "thanh pho", "tc": "tai chinh", "tttt": "thong tin va truyen thong", "tt&tt": "thong tin va truyen thong",
    "khdt": "ke hoach va dau tu", "kh&dt": "ke hoach va dau tu", "gdtx": "giao duc thuong xuyen",
    "gdnn": "giao duc nghe nghiep", "gdpt": "giao duc pho thong",
    "ubmttq": "uy ban mat tran to quoc", "vh&tt": "van hoa va thong tin", "tc-kh": "tai chinh ke hoach",
    "hcc": "hanh chinh cong", "dvc": "dich vu cong", "sdt": "so dien thoai", "qd": "quyet dinh",
    "mn": "mam non", "hsg": "hoc sinh gioi", "online": "truc tuyen", "tphcm": "thanh pho ho chi minh",
    # semesters as written in questions: "HK1", "HKII", "học kì 1" = "Học kỳ I"
    "hk": "hoc ky", "hk1": "hoc ky i", "hk2": "hoc ky ii", "hki": "hoc ky i", "hkii": "hoc ky ii", "ki": "ky",
}

# "học kỳ 1" = "học kỳ I": a digit after "kỳ" is read as the Roman numeral plans print
_SEMESTER_NUMBER = {"1": "i", "2": "ii"}

# Function words of questions (folded).  Content words stay even when frequent: IDF weighs them.
STOP_WORDS = frozenset("""
a ah ai nhieu nao gi khong co duoc la cua thi va cho hoi o theo ve den toi nhung cac
mot nhu vay voi trong de do da se dang can phai muon the sao khi may ra len rang nay kia
em anh chi ban con oi nhe nha ha ak u ma hay hoac cung nam ngay thang
biet cam on giup dum nhieu it bi boi vao gium chua roi xong het luon thoi nua chu nhi dau ne nhiu
bn dc ko k j vs ntn lo
""".split())

WORD = re.compile(r"[0-9a-z&]+(?:[-&][0-9a-z]+)*")
YEAR = re.compile(r"^(19|20)\d\d$")


def folded_words(text: str) -> list[str]:
    """Folded words with abbreviations spelled out: "Sở GD&ĐT" → ["so", "giao", "duc", "va", "dao", "tao"]."""
    return expand_folded(fold(nfc(text)))


# each abbreviation's words, split once: the ingest expands every word of every fact it indexes
_EXPANDED: dict[str, list[str]] = {short: long.split() for short, long in ABBREVIATIONS.items()}
_JOINED = re.compile(r"[-&]")


def _expand_joined(raw: str) -> list[str]:
    """A word joined by "&" or "-" that is no abbreviation itself: its parts, each expanded."""
    return [w for part in _JOINED.split(raw) if part for w in _EXPANDED.get(part, (part,))]


def _expand_abbreviations(folded: str) -> list[str]:
    # one comprehension over the words: an abbreviation → its words, a plain word (no "&" or
    # "-": alphanumeric) → itself
    return [w for raw in WORD.findall(folded)
            for w in (_EXPANDED.get(raw) or ((raw,) if raw.isalnum() else _expand_joined(raw)))]


def _semester_numbers(words: list[str]) -> list[str]:
    """"ky 1" → "ky i": the one rule that reads a word's neighbour."""
    if "ky" not in words:
        return words
    return [_SEMESTER_NUMBER.get(w, w) if i and words[i - 1] == "ky" else w for i, w in enumerate(words)]


def expand_folded(folded: str) -> list[str]:
    """:func:`folded_words` of a text already folded (:func:`fold`), for callers that need the
    folded text too and so fold once."""
    return _semester_numbers(_expand_abbreviations(folded))


@lru_cache(maxsize=1 << 16)
def _chunk_words(chunk: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(folded words, expanded and as written, without repeats; words printed with a letter
    outside ASCII) of one whitespace-free chunk of NFC text."""
    folded, plain = fold_chunk(chunk)  # (cached: the content hash and the search keys met it first)
    words = tuple(dict.fromkeys([*_expand_abbreviations(folded), *plain]))
    if chunk.isascii():
        return words, ()
    lowered = _accented(chunk)
    # one word of letters (most chunks) is its own only accented word
    marked = (lowered,) if lowered.isalpha() else _LETTERS_OR_DIGITS.findall(lowered)
    return words, tuple(w for w in marked if not w.isascii())


# Punctuation no word of the index holds (none is a letter, a digit, "&" or "-"): a space in its
# place changes no word, and str.replace is cheaper than a lookup of each punctuated variant.
_BREAKS = (",", ".", ";", ":", "(", ")", "/", '"', "“", "”")
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)


def indexed_words(text: str) -> tuple[list[str], set[str]]:
    """The words a full-text index stores for ``text``: the distinct words of
    :func:`expand_folded` of its folded form and its folded words as written ("gd&dt" → "gd",
    "dt"), and the set of its :func:`accented_words` printed with a letter outside ASCII.

    Worked out once per distinct whitespace-separated chunk and cached, with no Python-level
    step per chunk (map, chain, itemgetter): no rule looks across a space but the semester one,
    and plans are made of a few thousand distinct syllables, so the cost of a row is a few
    lookups per word however often the plan repeats them."""
    text = nfc(text)
    for mark in _BREAKS:  # "(học," is "học": more chunks already known
        if mark in text:
            text = text.replace(mark, " ")
    chunks = text.split()
    found = list(map(_chunk_words, dict.fromkeys(chunks)))
    words = dict.fromkeys(chain.from_iterable(map(_FIRST, found)))
    if "ky" in words and ("1" in words or "2" in words):
        # "kỳ 1" → "ky i", yet a "1" elsewhere stays: only the sequence of every word tells
        folded = fold(" ".join(chunks))
        words = dict.fromkeys([*expand_folded(folded), *fold_words(folded)])
    return list(words), set(chain.from_iterable(map(_SECOND, found)))


_LETTERS_OR_DIGITS = re.compile(r"[^\W_]+")


def _accented(text: str) -> str:
    return text.lower().replace("uỷ", "ủy")


def accented_words(text: str) -> set[str]:
    """Lowercase NFC words as typed (with diacritics), for the "họp" ≠ "hợp" tie-break."""
    return set(_LETTERS_OR_DIGITS.findall(_accented(nfc(text))))


def has_diacritics(word: str) -> bool:
    return fold(word) != word


@dataclass
class Query:
    """A question reduced to what matching needs."""

    unigrams: list[str]  # content words, folded, deduplicated, in order
    bigrams: list[str]  # adjacent word pairs with at least one content word
    accented: set[str]  # words typed with diacritics
    years: list[int] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)  # other numbers ("148", "70")

    def is_empty(self) -> bool:
        return not self.unigrams


# Question phrases that carry no subject ("phần trăm" is printed as "%" in plans).
# "bao" alone is a content word ("báo cáo"): only the phrases "bao nhiêu", "bao giờ", "bao lâu" are
# question words; "hạn chót", "ngày nào" ask for a date, they are not the subject.
QUESTION_PHRASES = re.compile(r"\b(phan tram|ty le|ti le|bao nhieu|bao gio|bao lau( mot lan)?|han chot|(vao )?(ngay|thang|luc|thoi diem) nao|(ve )?lau dai|moc( thoi gian)?|the nao|ra sao|nhu nao|cho hoi|xin hoi|lam on|duoc khong|"
                              r"(co quan|don vi|so|phong|ban nganh|nhung ai|nhung) nao|lam (nhung )?(viec )?gi|nhung viec gi|"
                              r"nganh giao duc( va dao tao)?|nganh gd|chiu trach nhiem)\b")


# Words that may sit inside a plan's name as users say it ("kế hoạch ứng dụng CNTT *ngành* giáo dục").
_NAME_FILLER = frozenset("nganh cua trong ve tai o nay cho linh vuc tren dia ban so".split())


def drop_plan_names(words: list[str], title_words: frozenset[str]) -> list[str]:
    """Remove the words that follow "kế hoạch"/"đề án" while they belong to the plan's title:
    "thực hiện kế hoạch ứng dụng CNTT trong giáo dục" names the plan, it is not the subject."""
    dropped = _title_positions(words, title_words)
    return [w for i, w in enumerate(words) if i not in dropped]


def _title_positions(words: list[str], title_words: frozenset[str]) -> set[int]:
    """Positions of the words :func:`drop_plan_names` removes."""
    positions: set[int] = set()
    if not title_words:
        return positions
    i = 0
    while i < len(words):
        if (words[i] == "hoach" and i and words[i - 1] == "ke") or (words[i] == "an" and i and words[i - 1] == "de"):
            j = i + 1
            while j < len(words) and (words[j] in title_words or words[j] in _NAME_FILLER):
                j += 1
            if j - (i + 1) >= 2:  # one shared word is a coincidence, a run is the plan's name
                positions.update(range(i + 1, j))
                i = j
                continue
        i += 1
    return positions


def _naming_positions(words: list[str], names: Iterable[Sequence[str]]) -> set[int]:
    """Positions of the words that name the plan: each occurrence of a name as a whole ("trường
    THPT Lê Quý Đôn", "Cần Thơ") — not each of its words wherever it occurs, so "phòng học thông
    minh" keeps "học" and "thông" when the issuer "Trường Trung học phổ thông …" was named."""
    positions: set[int] = set()
    for name in names:
        n = len(name)
        if not n:
            continue
        for i in range(len(words) - n + 1):
            if tuple(words[i:i + n]) == tuple(name):
                positions.update(range(i, i + n))
                # "kế hoạch (số) 96 (của UBND tỉnh) Ngọc Sơn": the words that say "the plan of"
                j = i
                designators = DESIGNATORS | ({"so"} if name[0].isdigit() else set())  # "số 96", not "chuyển đổi số"
                while j > 0 and words[j - 1] in designators and (j - 1) not in positions:
                    j -= 1
                    positions.add(j)
    return positions


# Words that designate a plan just before its number or place ("kế hoạch số 96", "kh của UBND tỉnh
# Ngọc Sơn", "trường Lê Quý Đôn"): part of the plan's name, not of the subject.
DESIGNATORS = frozenset("ke hoach de an quyet dinh van ban cua uy ban nhan dan ubnd tinh thanh pho huyen quan "
                        "thi xa truong".split())


def make_query(text: str, drop: Iterable[str] = (), title_words: frozenset[str] = frozenset(),
               names: Iterable[Sequence[str]] = ()) -> Query:
    """The content words of ``text`` minus ``drop`` (folded words never searched for, wherever
    they occur), minus ``names`` (folded phrases that name the plan, where they occur) and minus
    the plan's name as the user paraphrased it (see :func:`drop_plan_names`)."""
    words = folded_words(QUESTION_PHRASES.sub(" ", " ".join(folded_words(text))))
    naming = _naming_positions(words, names) | _title_positions(words, title_words)
    dropped = set(drop)
    years = [int(w) for w in words if YEAR.match(w)]
    numbers = [w for w in words if w.isdigit() and not YEAR.match(w)]
    kept = [w for i, w in enumerate(words) if i not in naming and w not in dropped and not w.isdigit()]
    unigrams = list(dict.fromkeys(w for w in kept if w not in STOP_WORDS and len(w) > 1))
    bigrams = list(dict.fromkeys(f"{a} {b}" for a, b in zip(kept, kept[1:])
                                 if not (a in STOP_WORDS and b in STOP_WORDS)))
    accented = {w for w in accented_words(text) if has_diacritics(w)}
    return Query(unigrams, bigrams, accented, years, numbers)


@dataclass
class Doc:
    """One searchable unit: its folded words, word pairs and accented words."""

    words: frozenset[str]
    pairs: frozenset[str]
    accented: frozenset[str]
    length: int
    weight: float = 0.0  # sum of the IDF of its words (set by Vocabulary), for precision

    @classmethod
    def of(cls, text: str) -> "Doc":
        words = folded_words(text)
        return cls(frozenset(words), frozenset(f"{a} {b}" for a, b in zip(words, words[1:])),
                   frozenset(accented_words(text)), len(words))


class Vocabulary:
    """Document frequencies over a set of units, for IDF weights and typo repair."""

    def __init__(self, docs: Iterable[Doc]):
        self.df: Counter[str] = Counter()
        self.n = 0
        docs = list(docs)
        for doc in docs:
            self.n += 1
            self.df.update(doc.words)
        for doc in docs:
            doc.weight = sum(self.idf(w) for w in doc.words)
        self.average_length = sum(d.length for d in docs) / len(docs) if docs else 1.0
        self._choices = [w for w in self.df if len(w) >= 3 and not w.isdigit()]

    def idf(self, word: str) -> float:
        return math.log(1 + (self.n + 1) / (self.df.get(word, 0) + 0.5))

    def unknown(self, query: Query) -> list[str]:
        """Content words of the query that no unit contains: a subject the KB does not cover."""
        return [w for w in query.unigrams if w not in self.df]

    def repair(self, query: Query) -> Query:
        """Replace misspelt words the corpus never uses by the closest word it does ("tuyn" →
        "tuyen", "mih" → "minh"); a real Vietnamese syllable ("tiếng") is left alone: absent is
        not misspelt — unless it is a colloquial word whose written form the corpus uses
        (:data:`PLAN_WORDS`: "thêm" → "bổ sung")."""
        fixed: list[str] = []
        syllables = vietnamese_syllables()
        for word in query.unigrams:
            written = PLAN_WORDS.get(word)
            if word not in self.df and written and all(w in self.df for w in written.split()):
                fixed.append(written)
                continue
            if word in self.df or len(word) < 3 or not self._choices or word in syllables:
                fixed.append(word)
                continue
            best = process.extractOne(word, self._choices, scorer=fuzz.ratio, score_cutoff=80)
            fixed.append(best[0] if best else word)
        if fixed == query.unigrams:
            return query
        mapping = dict(zip(query.unigrams, fixed))
        bigrams = [" ".join(mapping.get(w, w) for w in pair.split()) for pair in query.bigrams]
        bigrams += [m for m in fixed if " " in m]
        unigrams = [w for m in fixed for w in m.split()]
        return Query(list(dict.fromkeys(unigrams)), list(dict.fromkeys(bigrams)), query.accented, query.years,
                     query.numbers)


# Words of spoken questions → the word plans write for the same thing, used only when no plan
# uses the spoken word ("lắp thêm phòng học" is "bổ sung phòng học" in a plan).
PLAN_WORDS: dict[str, str] = {
    "them": "bo sung", "xai": "su dung", "coi": "xem",
}


PRECISION_WEIGHT = 0.3
LENGTH_DAMPING = 0.2
UNKNOWN_WEIGHT = 0.6


@lru_cache(maxsize=1)
def vietnamese_syllables() -> frozenset[str]:
    """Folded syllables of a Vietnamese dictionary of common words (underthesea's Viet22K), to
    tell a misspelt word from a real one the knowledge base does not use; empty if the list is
    unavailable.  The file is read without importing underthesea (slow to import)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("underthesea")
        if spec is None or not spec.origin:
            return frozenset()
        path = Path(spec.origin).parent / "corpus" / "data" / "Viet22K.txt"
        text = path.read_text(encoding="utf-8")
    except (ImportError, OSError):
        return frozenset()
    return frozenset(re.findall(r"[a-z]+", fold(text)))  # share of the maximum IDF given to a word no unit contains


@dataclass
class _Weights:
    """A query's IDF weights in one vocabulary, computed once per question (not once per fact)."""

    scored: list[tuple[str, float]]  # (word, weight for coverage)
    shared: list[tuple[str, float]]  # (word, weight for matched_share: unknown words at full weight)
    total: float
    shared_total: float
    pairs: list[str]


# (id(query), id(vocab)) → (weights, query, vocab): the objects are held so that their ids stay theirs
_weights_cache: dict[tuple[int, int], tuple[_Weights, Query, Vocabulary]] = {}


def _weights(query: Query, vocab: Vocabulary) -> _Weights:
    key = (id(query), id(vocab))
    cached = _weights_cache.get(key)
    if cached is not None:
        return cached[0]
    top = vocab.idf("\0")
    scored = [(w, vocab.idf(w) if vocab.df.get(w) else top * UNKNOWN_WEIGHT) for w in query.unigrams]
    shared = [(w, vocab.idf(w) if vocab.df.get(w) else top) for w in query.unigrams]
    pairs = [p for p in query.bigrams if all(w in vocab.df for w in p.split())]
    weights = _Weights(scored, shared, sum(x for _, x in scored), sum(x for _, x in shared), pairs)
    if len(_weights_cache) > 512:
        _weights_cache.clear()
    _weights_cache[key] = (weights, query, vocab)
    return weights


def coverage(query: Query, doc: Doc, vocab: Vocabulary, average_length: Optional[float] = None) -> float:
    """IDF-weighted share of the query's content words found in ``doc`` (0..1), plus up to 0.3
    for word pairs found together and a small tie-break for words matching with diacritics."""
    if not query.unigrams:
        return 0.0
    weights = _weights(query, vocab)
    total = weights.total
    words = doc.words
    found = sum(weight for word, weight in weights.scored if word in words)
    score = found / total if total else 0.0
    if doc.weight:
        # Precision: of two facts with the same words found, the one saying less else wins.
        score += PRECISION_WEIGHT * found / doc.weight
    pairs = weights.pairs
    if pairs:
        score += 0.3 * sum(p in doc.pairs for p in pairs) / len(pairs)
    if query.accented:
        score += 0.05 * len(query.accented & doc.accented) / len(query.accented)
    # Long items mention everything a little: damp them (1/(1+β·log₂(len/avg)) above average).
    ratio = doc.length / (average_length or vocab.average_length or 1.0)
    if ratio > 1:
        score /= 1 + LENGTH_DAMPING * math.log2(ratio)
    return score


def matched_share(query: Query, doc: Doc, vocab: Vocabulary) -> float:
    """IDF-weighted share of the question's content words that ``doc`` contains, a word no
    unit contains counting at full weight: low when the question is about something the plans
    never mention ("robot", "bể bơi"), whatever else matches."""
    if not query.unigrams:
        return 0.0
    weights = _weights(query, vocab)
    words = doc.words
    found = sum(weight for word, weight in weights.shared if word in words)
    return found / weights.shared_total if weights.shared_total else 0.0


_LEVEL_TAIL = re.compile(r"( (huyen|tinh|thanh pho|xa|quan))+$")


def agency_key(name: str) -> str:
    """Folded agency name without "các" and a trailing level word, so "Phòng GD&ĐT Mường Tè" in a
    question finds "Phòng Giáo dục và Đào tạo huyện": "phong giao duc va dao tao"."""
    key = " ".join(folded_words(name))
    key = re.sub(r"^(de nghi |cac )+", "", key)
    shorter = _LEVEL_TAIL.sub("", key)
    return shorter if len(shorter.split()) >= 2 else key


def names_agency(question_words: list[str], key: str) -> bool:
    return bool(key) and f" {key} " in f" {' '.join(question_words)} "


def best_window_ratio(words: list[str], phrase: list[str]) -> float:
    """How well ``phrase`` (folded words) occurs in ``words``: the best fuzzy ratio (0..100) of
    any window of the same number of words, spaces ignored ("can tho", "cantho", "cn tho")."""
    return best_window(words, phrase)[0]


def best_window(words: list[str], phrase: list[str]) -> tuple[float, tuple[str, ...]]:
    """:func:`best_window_ratio` and the window of ``words`` that reached it (the phrase as the
    user typed it), the window of the phrase's own length first among equals."""
    if not phrase or not words:
        return 0.0, ()
    target = "".join(phrase)
    best, best_window_words = 0.0, ()
    for size in (len(phrase), max(1, len(phrase) - 1), len(phrase) + 1):
        for i in range(0, max(1, len(words) - size + 1)):
            window = "".join(words[i:i + size])
            if abs(len(window) - len(target)) > 2:
                continue
            ratio = fuzz.ratio(window, target)
            if ratio > best:
                best, best_window_words = ratio, tuple(words[i:i + size])
    return best, best_window_words


def first_sentences(text: str) -> list[str]:
    """A section body split into sentences (";" separates list items in these plans)."""
    sentences: list[str] = []
    for part in re.split(r"(?<=[.;])\s+|\n+", text or ""):
        part = part.strip(" ;")
        if len(part) <= 3:
            continue
        # "…90%; trong đó, mầm non 85%", "…50%; riêng thành phố 65%": one figure and its parts
        if sentences and re.match(r"(?i)(trong đó|riêng)\b", part):
            sentences[-1] = f"{sentences[-1]}; {part}"
        else:
            sentences.append(part)
    return sentences


def optional_int(text: Optional[str]) -> Optional[int]:
    try:
        return int(text) if text not in (None, "") else None
    except (TypeError, ValueError):
        return None
