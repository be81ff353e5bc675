'use strict';
// @ts-check

// `value.split(/ *, */)` (or `/\s*,\s*/` with isSpace = any whitespace)
// without a regex, whose backtracking makes such splits quadratic on long
// runs of spaces (ws CVE-2021-32640).
function splitList(value, isSpace = isSpaceCharacter) {
  const parts = value.split(',');
  const last = parts.length - 1;
  return parts.map((part, index) => {
    let start = 0;
    let end = part.length;
    if (index > 0) while (start < end && isSpace(part[start])) start += 1;
    if (index < last) while (end > start && isSpace(part[end - 1])) end -= 1;
    return part.slice(start, end);
  });
}

function isSpaceCharacter(character) {
  return character === ' ';
}

function isWhitespace(character) {
  return /\s/.test(character);
}

module.exports = { splitList, isWhitespace };
