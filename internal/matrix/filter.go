package matrix

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseFilter parses a cell selection such as "scale=3,users=20" or
// "run=run2,scale=3|5": comma-separated conditions that must all hold, each
// a key (run, scale, users, rate, repeat, id) and one or more values
// separated by "|".
func ParseFilter(s string) (func(Cell) bool, error) {
	type cond struct {
		key  string
		vals []string
	}
	var conds []cond
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || v == "" {
			return nil, fmt.Errorf("%q: write key=value, e.g. scale=3,users=20", part)
		}
		vals := strings.Split(v, "|")
		switch k {
		case "run", "id":
		case "scale", "users", "repeat":
			for _, x := range vals {
				if _, err := strconv.Atoi(strings.TrimSpace(x)); err != nil {
					return nil, fmt.Errorf("%q: %s takes whole numbers, e.g. %s=3|5", part, k, k)
				}
			}
		case "rate":
			for _, x := range vals {
				if _, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
					return nil, fmt.Errorf("%q: rate takes numbers, e.g. rate=50|100", part)
				}
			}
		default:
			return nil, fmt.Errorf("%q: unknown key %q (use run, scale, users, rate, repeat or id)", part, k)
		}
		for i := range vals {
			vals[i] = strings.TrimSpace(vals[i])
		}
		conds = append(conds, cond{k, vals})
	}
	if len(conds) == 0 {
		return nil, fmt.Errorf("empty selection: write e.g. scale=3,users=20")
	}
	return func(c Cell) bool {
		for _, cd := range conds {
			var have string
			switch cd.key {
			case "run":
				have = c.Run
			case "id":
				have = c.ID
			case "scale":
				have = strconv.Itoa(c.Scale)
			case "users":
				have = strconv.Itoa(c.Users)
			case "repeat":
				have = strconv.Itoa(c.Repeat)
			case "rate":
				have = strconv.FormatFloat(c.Rate, 'f', -1, 64)
			}
			match := false
			for _, v := range cd.vals {
				if v == have || (cd.key == "rate" && sameFloat(v, c.Rate)) {
					match = true
				}
			}
			if !match {
				return false
			}
		}
		return true
	}, nil
}

func sameFloat(s string, f float64) bool {
	v, err := strconv.ParseFloat(s, 64)
	return err == nil && v == f
}
