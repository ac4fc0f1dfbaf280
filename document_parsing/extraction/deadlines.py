from ..model import Document

def extract_deadlines(doc: Document) -> list:
    return []
