package suggest

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"fibonacci-go", "fibonacci-python", "aes-go", "auth-go", "simulate:all", "simulate:boot"}
	cases := []struct{ word, want string }{
		{"fibonaci-go", "fibonacci-go"},
		{"fibonacci-og", "fibonacci-go"},
		{"aes-og", "aes-go"},
		{"simulate:al", "simulate:all"},
		{"aes", ""},         // too far from anything
		{"hello-world", ""}, // nothing like it
		{"aes-go", ""},      // an exact name is not its own suggestion
	}
	for _, c := range cases {
		if got := Closest(c.word, names); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
	if h := Hint("fibonaci-go", names); h != `; did you mean "fibonacci-go"?` {
		t.Errorf("Hint: %q", h)
	}
	if h := Hint("zzz", names); h != "" {
		t.Errorf("Hint with nothing close: %q", h)
	}
}

func FuzzDistance(f *testing.F) {
	f.Add("kitten", "sitting")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := Distance(a, b)
		if d != Distance(b, a) || d < 0 || d > max(len([]rune(a)), len([]rune(b))) || (a == b) != (d == 0) {
			t.Fatalf("Distance(%q, %q) = %d", a, b, d)
		}
	})
}
