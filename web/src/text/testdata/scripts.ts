/**
 * The texts of the server's own offset tests (tests/test_text_offsets.py): scripts with
 * combining marks, astral CJK and emoji, where code units, code points and what a reader
 * sees as one character part ways.
 */

/** "drink cold water": ด ื ่ ม น ้ ำ เ ย ็ น, 5 combining marks. */
export const THAI = "ดื่มน้ำเย็น";
/** "Khmer language": ខ ្ ម (coeng subscript) ែ រ. */
export const KHMER = "ភាសាខ្មែរ";
/** ế = e + U+0302 + U+0301, in NFD as some tools store it. */
export const VIETNAMESE = "Tiếng Việt".normalize("NFD");
/** 𠮷 is U+20BB7 (CJK Extension B), outside the BMP. */
export const CJK = "日本語のテキスト𠮷野家";
/** woman-ZWJ-rocket, then a flag of two regional indicators. */
export const EMOJI = "Astronaut 👩\u200d🚀 waves 🇺🇸!";
/** a thumb with a skin tone and a family of four joined by ZWJs. */
export const SKIN = "ok 👍🏽 👨‍👩‍👧‍👦 done";
