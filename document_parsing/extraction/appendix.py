from ..model import Document

def extract_projects(doc: Document) -> list:
    return []
