package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The range or choice a variable accepts is written once, in a struct tag,
// and both its help text and Validate derive from it:
//
//   - check:"LO-HI" bounds an int (inclusive);
//   - check:">=D" bounds a duration from below (D may be 0), check:">0"
//     asks for a positive one;
//   - oneof:"a b c" lists the words a string may be.
//
// A help text shows the rule where it says {check}.

// rule is a parsed check or oneof tag.
type rule struct {
	lo, hi int64    // int range
	minDur *int64   // duration lower bound (ns), nil when none
	strict bool     // the duration must be more than minDur, not equal
	words  []string // oneof
}

// parseRule reads a field's rule; ok is false when it has none. An error is
// a mistake in this package's tags, which TestEveryRuleParses catches.
func parseRule(f reflect.StructField) (r rule, ok bool, err error) {
	if w := f.Tag.Get("oneof"); w != "" {
		return rule{words: strings.Fields(w)}, true, nil
	}
	c := f.Tag.Get("check")
	if c == "" {
		return rule{}, false, nil
	}
	bad := fmt.Errorf("field %s: bad check tag %q", f.Name, c)
	switch {
	case strings.HasPrefix(c, ">="), strings.HasPrefix(c, ">"):
		r.strict = !strings.HasPrefix(c, ">=")
		d, err := time.ParseDuration(strings.TrimLeft(c, ">="))
		if err != nil {
			return rule{}, false, bad
		}
		n := int64(d)
		r.minDur = &n
	default:
		lo, hi, found := strings.Cut(c, "-")
		a, err1 := strconv.ParseInt(lo, 10, 64)
		b, err2 := strconv.ParseInt(hi, 10, 64)
		if !found || err1 != nil || err2 != nil || a > b {
			return rule{}, false, bad
		}
		r.lo, r.hi = a, b
	}
	return r, true, nil
}

// text is how help texts show the rule.
func (r rule) text() string {
	switch {
	case r.words != nil:
		if len(r.words) == 1 {
			return r.words[0]
		}
		return strings.Join(r.words[:len(r.words)-1], ", ") + " or " + r.words[len(r.words)-1]
	case r.minDur != nil && r.strict && *r.minDur == 0:
		return "positive"
	case r.minDur != nil && r.strict:
		return "more than " + durText(*r.minDur)
	case r.minDur != nil:
		return "at least " + durText(*r.minDur)
	}
	return fmt.Sprintf("%d-%d", r.lo, r.hi)
}

// durText writes a duration the way users write it (10s, 1m), not as
// time.Duration.String does (1m0s).
func durText(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d != 0 && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d != 0 && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// violation returns what is wrong with v under r, or "".
func (r rule) violation(v reflect.Value) string {
	switch {
	case r.words != nil:
		for _, w := range r.words {
			if v.String() == w {
				return ""
			}
		}
		return fmt.Sprintf("%q is not one of them", v.String())
	case r.minDur != nil:
		d := v.Int()
		switch {
		case *r.minDur == 0 && r.strict && d <= 0:
			return fmt.Sprintf("%s is not positive", time.Duration(d))
		case *r.minDur == 0 && d < 0:
			return fmt.Sprintf("%s is negative", time.Duration(d))
		case d < *r.minDur || (r.strict && d == *r.minDur):
			return fmt.Sprintf("%s is too short", time.Duration(d))
		}
		return ""
	}
	if n := v.Int(); n < r.lo || n > r.hi {
		return fmt.Sprintf("%d is out of range", n)
	}
	return ""
}

// help returns a field's help text with its rule filled in.
func help(f reflect.StructField) string {
	h := f.Tag.Get("help")
	if r, ok, err := parseRule(f); ok && err == nil {
		h = strings.ReplaceAll(h, "{check}", r.text())
	}
	return h
}
