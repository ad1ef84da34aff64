package daggerengine

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// layerEntry is one extra file or directory written into a layer after the tree walk.
type layerEntry struct {
	name string // path inside the image, without a leading slash
	mode int64
	dir  bool
	from string // for files: host path to copy
}

// writeLayer writes a gzip-compressed tar of src mounted at prefix inside the image (src may be "",
// then only the extra entries are written). skip gets slash-separated paths relative to src.
// Owners, modes, symlinks and hard links are preserved; device nodes, sockets and fifos are left
// out (the runtime provides /dev).
func writeLayer(dst, src, prefix string, skip func(rel string) bool, extra []layerEntry) error {
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("create layer %s: %w", dst, err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	gz, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	prefix = strings.Trim(prefix, "/")

	// Parent directories of the prefix, so the layer stands on its own.
	if prefix != "" {
		parts := strings.Split(prefix, "/")
		for i := 1; i < len(parts); i++ {
			if err := writeDirHeader(tw, strings.Join(parts[:i], "/")+"/", 0o755); err != nil {
				return err
			}
		}
	}
	if src != "" {
		if err := walkInto(tw, src, prefix, skip); err != nil {
			return err
		}
	}
	for _, e := range extra {
		if err := writeExtra(tw, e); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("finish layer tar: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("finish layer gzip: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write layer %s: %w", dst, err)
	}
	return f.Close()
}

func walkInto(tw *tar.Writer, src, prefix string, skip func(string) bool) error {
	type inode struct{ dev, ino uint64 }
	seen := map[inode]string{}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "." && skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		name := path.Join(prefix, rel)
		if rel == "." {
			if prefix == "" {
				return nil
			}
			name = prefix
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := fi.Mode()
		if mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeSocket|fs.ModeNamedPipe) != 0 {
			return nil
		}
		link := ""
		if mode&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return fmt.Errorf("tar header for %s: %w", p, err)
		}
		hdr.Name, hdr.Uname, hdr.Gname, hdr.Format = name, "", "", tar.FormatPAX
		hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
		if fi.IsDir() {
			hdr.Name += "/"
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
			if mode.IsRegular() && st.Nlink > 1 {
				key := inode{uint64(st.Dev), st.Ino}
				if first, ok := seen[key]; ok {
					hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
				} else {
					seen[key] = name
				}
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write tar header %s: %w", name, err)
		}
		if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
			return copyFileInto(tw, p)
		}
		return nil
	})
}

func writeExtra(tw *tar.Writer, e layerEntry) error {
	if e.dir {
		return writeDirHeader(tw, strings.TrimSuffix(e.name, "/")+"/", e.mode)
	}
	fi, err := os.Stat(e.from)
	if err != nil {
		return fmt.Errorf("layer file %s: %w", e.from, err)
	}
	hdr := &tar.Header{Name: e.name, Mode: e.mode, Size: fi.Size(), ModTime: fi.ModTime(), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	return copyFileInto(tw, e.from)
}

func writeDirHeader(tw *tar.Writer, name string, mode int64) error {
	return tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Typeflag: tar.TypeDir, ModTime: time.Unix(0, 0), Format: tar.FormatPAX})
}

func copyFileInto(w io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("copy %s into layer: %w", p, err)
	}
	return nil
}
