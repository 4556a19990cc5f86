package dockerctl

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
)

// ScratchImage describes an image built FROM scratch: a few files, usually
// one static binary, and its run configuration. Nothing is pulled.
type ScratchImage struct {
	// Tag names the image, e.g. "scalebench-demo:latest".
	Tag string
	// Files maps a path in the image (absolute, e.g. "/app") to a file on
	// this machine. Executables keep their mode.
	Files map[string]string
	// Entrypoint is the image's ENTRYPOINT, exec form.
	Entrypoint []string
	// Cmd is the image's CMD, exec form (optional).
	Cmd []string
	// Env are KEY=value pairs set in the image (optional).
	Env []string
	// Expose are container ports to EXPOSE, e.g. "8080/tcp" (optional).
	Expose []string
	// Labels are set on the image (optional).
	Labels map[string]string
}

// BuildScratchImage builds tag FROM scratch with the static binary at
// binary copied to /<its base name>, and entrypoint as ENTRYPOINT (default:
// that path). The binary must be statically linked (CGO_ENABLED=0).
func (c *Client) BuildScratchImage(ctx context.Context, tag, binary string, entrypoint []string, labels map[string]string) error {
	in := "/" + filepath.Base(binary)
	if len(entrypoint) == 0 {
		entrypoint = []string{in}
	}
	return c.BuildScratch(ctx, ScratchImage{Tag: tag, Files: map[string]string{in: binary}, Entrypoint: entrypoint, Labels: labels})
}

// BuildScratch builds img through the Engine API's classic builder from an
// in-memory build context. The error quotes the builder's message.
func (c *Client) BuildScratch(ctx context.Context, img ScratchImage) error {
	if img.Tag == "" {
		return errors.New("build scratch image: no tag")
	}
	tarball, err := scratchContext(img)
	if err != nil {
		return fmt.Errorf("build image %s: %w", img.Tag, err)
	}
	resp, err := c.api.ImageBuild(ctx, bytes.NewReader(tarball), build.ImageBuildOptions{
		Tags:        []string{img.Tag},
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
		Labels:      img.Labels,
		Version:     build.BuilderV1,
	})
	if err != nil {
		return fmt.Errorf("build image %s: %w", img.Tag, err)
	}
	defer resp.Body.Close()
	if err := buildOutput(resp.Body); err != nil {
		return fmt.Errorf("build image %s: %w", img.Tag, err)
	}
	return nil
}

// buildOutput reads the builder's JSON message stream and returns its error.
func buildOutput(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Stream      string `json:"stream"`
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read builder output: %w", err)
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}

// scratchContext is the tar build context: a Dockerfile and the files.
func scratchContext(img ScratchImage) ([]byte, error) {
	var df strings.Builder
	df.WriteString("FROM scratch\n")
	dsts := make([]string, 0, len(img.Files))
	for dst := range img.Files {
		if !path.IsAbs(dst) {
			return nil, fmt.Errorf("image path %q must be absolute", dst)
		}
		dsts = append(dsts, dst)
	}
	sort.Strings(dsts)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i, dst := range dsts {
		src := img.Files[dst]
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(src)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("f%d", i)
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: int64(fi.Mode().Perm()), Size: int64(len(data))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
		fmt.Fprintf(&df, "COPY %s %s\n", name, dst)
	}
	for _, e := range img.Env {
		k, v, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("env %q is not KEY=value", e)
		}
		fmt.Fprintf(&df, "ENV %s=%s\n", k, jsonString(v))
	}
	for _, p := range img.Expose {
		fmt.Fprintf(&df, "EXPOSE %s\n", p)
	}
	if len(img.Entrypoint) > 0 {
		fmt.Fprintf(&df, "ENTRYPOINT %s\n", jsonArray(img.Entrypoint))
	}
	if len(img.Cmd) > 0 {
		fmt.Fprintf(&df, "CMD %s\n", jsonArray(img.Cmd))
	}
	dockerfile := df.String()
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile))}); err != nil {
		return nil, err
	}
	if _, err := io.WriteString(tw, dockerfile); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func jsonArray(s []string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// RemoveImage removes an image by tag or ID, untagging it even when
// stopped containers still use it; a missing image is no error. Tests and
// the demo use it to clean up what they built.
func (c *Client) RemoveImage(ctx context.Context, ref string) error {
	_, err := c.api.ImageRemove(ctx, ref, image.RemoveOptions{Force: true, PruneChildren: true})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("remove image %s: %w", ref, err)
	}
	return nil
}
