// Package suggest finds the name a user probably meant: the closest
// candidate by edit distance, when one is close enough to be a typo.
package suggest

import "fmt"

// Closest returns the candidate nearest to word, or "" when none is
// within a typo's distance (a third of the word's length, at least 2).
func Closest(word string, candidates []string) string {
	best, bestDist := "", max(2, len([]rune(word))/3)+1
	for _, c := range candidates {
		if c == word {
			continue
		}
		if d := Distance(word, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Hint is "; did you mean "x"?" for the closest candidate, or "".
func Hint(word string, candidates []string) string {
	if c := Closest(word, candidates); c != "" {
		return fmt.Sprintf("; did you mean %q?", c)
	}
	return ""
}

// Distance is the Levenshtein distance between a and b, in runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
