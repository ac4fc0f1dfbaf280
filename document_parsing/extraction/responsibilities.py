from ..model import Document

def extract_responsibilities(doc: Document) -> list:
    return []
