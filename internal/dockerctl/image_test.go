package dockerctl

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScratchContext(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(bin, []byte("\x7fELF fake"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		img     ScratchImage
		want    string // Dockerfile
		wantErr string
	}{
		{
			name: "binary and entrypoint",
			img:  ScratchImage{Tag: "x", Files: map[string]string{"/app": bin}, Entrypoint: []string{"/app", "serve"}},
			want: "FROM scratch\nCOPY f0 /app\nENTRYPOINT [\"/app\",\"serve\"]\n",
		},
		{
			name: "everything",
			img: ScratchImage{Tag: "x", Files: map[string]string{"/bin/app": bin, "/etc/app.conf": bin},
				Entrypoint: []string{"/bin/app"}, Cmd: []string{"-v"}, Env: []string{"MODE=a b"}, Expose: []string{"8080/tcp"}},
			want: "FROM scratch\nCOPY f0 /bin/app\nCOPY f1 /etc/app.conf\nENV MODE=\"a b\"\nEXPOSE 8080/tcp\nENTRYPOINT [\"/bin/app\"]\nCMD [\"-v\"]\n",
		},
		{name: "relative path", img: ScratchImage{Tag: "x", Files: map[string]string{"app": bin}}, wantErr: `"app" must be absolute`},
		{name: "bad env", img: ScratchImage{Tag: "x", Env: []string{"NOEQUALS"}}, wantErr: `"NOEQUALS" is not KEY=value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := scratchContext(tt.img)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			files := map[string]string{}
			modes := map[string]int64{}
			tr := tar.NewReader(bytes.NewReader(data))
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(tr)
				files[h.Name] = string(b)
				modes[h.Name] = h.Mode
			}
			if files["Dockerfile"] != tt.want {
				t.Errorf("Dockerfile:\n%s\nwant:\n%s", files["Dockerfile"], tt.want)
			}
			if files["f0"] != "\x7fELF fake" || modes["f0"] != 0o755 {
				t.Errorf("binary not copied with its mode: %q %o", files["f0"], modes["f0"])
			}
		})
	}
}
