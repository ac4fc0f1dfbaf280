"""TCVN3 (TCVN 5712:1993, the "ABC" code of the .VnTime fonts) byte → Unicode, as data.

Generated once at development time from glibc's iconv table TCVN5712-1 (GNU libc,
iconvdata/tcvn5712-1.c), the reference implementation of the standard: every byte
0x00–0xFF was converted with ``iconv -f TCVN5712-1 -t UTF-8`` and the bytes that do not
map to themselves are listed below.  0xB0–0xB4 are combining tone marks.  Regenerate with::

    python3 -c "import subprocess; [print(hex(b), subprocess.run(['iconv', '-f', 'TCVN5712-1', '-t', 'UTF-8'], input=bytes([b]), capture_output=True).stdout.decode()) for b in range(256)]"

``tests/test_legacy_inputs.py`` compares this table with the iconv of the machine it runs on.
"""

TCVN3_BYTES: dict[int, str] = {
    0x01: "\u00da",  # Ú
    0x02: "\u1ee4",  # Ụ
    0x04: "\u1eea",  # Ừ
    0x05: "\u1eec",  # Ử
    0x06: "\u1eee",  # Ữ
    0x11: "\u1ee8",  # Ứ
    0x12: "\u1ef0",  # Ự
    0x13: "\u1ef2",  # Ỳ
    0x14: "\u1ef6",  # Ỷ
    0x15: "\u1ef8",  # Ỹ
    0x16: "\u00dd",  # Ý
    0x17: "\u1ef4",  # Ỵ
    0x80: "\u00c0",  # À
    0x81: "\u1ea2",  # Ả
    0x82: "\u00c3",  # Ã
    0x83: "\u00c1",  # Á
    0x84: "\u1ea0",  # Ạ
    0x85: "\u1eb6",  # Ặ
    0x86: "\u1eac",  # Ậ
    0x87: "\u00c8",  # È
    0x88: "\u1eba",  # Ẻ
    0x89: "\u1ebc",  # Ẽ
    0x8A: "\u00c9",  # É
    0x8B: "\u1eb8",  # Ẹ
    0x8C: "\u1ec6",  # Ệ
    0x8D: "\u00cc",  # Ì
    0x8E: "\u1ec8",  # Ỉ
    0x8F: "\u0128",  # Ĩ
    0x90: "\u00cd",  # Í
    0x91: "\u1eca",  # Ị
    0x92: "\u00d2",  # Ò
    0x93: "\u1ece",  # Ỏ
    0x94: "\u00d5",  # Õ
    0x95: "\u00d3",  # Ó
    0x96: "\u1ecc",  # Ọ
    0x97: "\u1ed8",  # Ộ
    0x98: "\u1edc",  # Ờ
    0x99: "\u1ede",  # Ở
    0x9A: "\u1ee0",  # Ỡ
    0x9B: "\u1eda",  # Ớ
    0x9C: "\u1ee2",  # Ợ
    0x9D: "\u00d9",  # Ù
    0x9E: "\u1ee6",  # Ủ
    0x9F: "\u0168",  # Ũ
    0xA1: "\u0102",  # Ă
    0xA2: "\u00c2",  # Â
    0xA3: "\u00ca",  # Ê
    0xA4: "\u00d4",  # Ô
    0xA5: "\u01a0",  # Ơ
    0xA6: "\u01af",  # Ư
    0xA7: "\u0110",  # Đ
    0xA8: "\u0103",  # ă
    0xA9: "\u00e2",  # â
    0xAA: "\u00ea",  # ê
    0xAB: "\u00f4",  # ô
    0xAC: "\u01a1",  # ơ
    0xAD: "\u01b0",  # ư
    0xAE: "\u0111",  # đ
    0xAF: "\u1eb0",  # Ằ
    0xB0: "\u0300",  # combining 0x300
    0xB1: "\u0309",  # combining 0x309
    0xB2: "\u0303",  # combining 0x303
    0xB3: "\u0301",  # combining 0x301
    0xB4: "\u0323",  # combining 0x323
    0xB5: "\u00e0",  # à
    0xB6: "\u1ea3",  # ả
    0xB7: "\u00e3",  # ã
    0xB8: "\u00e1",  # á
    0xB9: "\u1ea1",  # ạ
    0xBA: "\u1eb2",  # Ẳ
    0xBB: "\u1eb1",  # ằ
    0xBC: "\u1eb3",  # ẳ
    0xBD: "\u1eb5",  # ẵ
    0xBE: "\u1eaf",  # ắ
    0xBF: "\u1eb4",  # Ẵ
    0xC0: "\u1eae",  # Ắ
    0xC1: "\u1ea6",  # Ầ
    0xC2: "\u1ea8",  # Ẩ
    0xC3: "\u1eaa",  # Ẫ
    0xC4: "\u1ea4",  # Ấ
    0xC5: "\u1ec0",  # Ề
    0xC6: "\u1eb7",  # ặ
    0xC7: "\u1ea7",  # ầ
    0xC8: "\u1ea9",  # ẩ
    0xC9: "\u1eab",  # ẫ
    0xCA: "\u1ea5",  # ấ
    0xCB: "\u1ead",  # ậ
    0xCC: "\u00e8",  # è
    0xCD: "\u1ec2",  # Ể
    0xCE: "\u1ebb",  # ẻ
    0xCF: "\u1ebd",  # ẽ
    0xD0: "\u00e9",  # é
    0xD1: "\u1eb9",  # ẹ
    0xD2: "\u1ec1",  # ề
    0xD3: "\u1ec3",  # ể
    0xD4: "\u1ec5",  # ễ
    0xD5: "\u1ebf",  # ế
    0xD6: "\u1ec7",  # ệ
    0xD7: "\u00ec",  # ì
    0xD8: "\u1ec9",  # ỉ
    0xD9: "\u1ec4",  # Ễ
    0xDA: "\u1ebe",  # Ế
    0xDB: "\u1ed2",  # Ồ
    0xDC: "\u0129",  # ĩ
    0xDD: "\u00ed",  # í
    0xDE: "\u1ecb",  # ị
    0xDF: "\u00f2",  # ò
    0xE0: "\u1ed4",  # Ổ
    0xE1: "\u1ecf",  # ỏ
    0xE2: "\u00f5",  # õ
    0xE3: "\u00f3",  # ó
    0xE4: "\u1ecd",  # ọ
    0xE5: "\u1ed3",  # ồ
    0xE6: "\u1ed5",  # ổ
    0xE7: "\u1ed7",  # ỗ
    0xE8: "\u1ed1",  # ố
    0xE9: "\u1ed9",  # ộ
    0xEA: "\u1edd",  # ờ
    0xEB: "\u1edf",  # ở
    0xEC: "\u1ee1",  # ỡ
    0xED: "\u1edb",  # ớ
    0xEE: "\u1ee3",  # ợ
    0xEF: "\u00f9",  # ù
    0xF0: "\u1ed6",  # Ỗ
    0xF1: "\u1ee7",  # ủ
    0xF2: "\u0169",  # ũ
    0xF3: "\u00fa",  # ú
    0xF4: "\u1ee5",  # ụ
    0xF5: "\u1eeb",  # ừ
    0xF6: "\u1eed",  # ử
    0xF7: "\u1eef",  # ữ
    0xF8: "\u1ee9",  # ứ
    0xF9: "\u1ef1",  # ự
    0xFA: "\u1ef3",  # ỳ
    0xFB: "\u1ef7",  # ỷ
    0xFC: "\u1ef9",  # ỹ
    0xFE: "\u1ef5",  # ỵ
    0xFF: "\u1ed0",  # Ố
}
