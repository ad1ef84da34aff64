package awsfront

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
)

// controlMux serves /_twin/: health, faults and request counters, plus what other twin parts add.
func (f *Front) controlMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+control.PathHealth, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "accounts": f.accountIDs()})
	})
	mux.HandleFunc("GET "+control.PathFaults, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, f.faults.List())
	})
	mux.HandleFunc("POST "+control.PathFaults, func(w http.ResponseWriter, r *http.Request) {
		var in control.Fault
		data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err := json.Unmarshal(data, &in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "fault is not JSON: " + err.Error()})
			return
		}
		out, err := f.faults.Add(in)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		f.logf("fault %s installed: %s %s/%s account=%q count=%d delay=%s", out.ID, out.Kind, out.Service, out.Operation, out.Account, out.Count, out.Delay)
		writeJSON(w, http.StatusCreated, out)
	})
	mux.HandleFunc("DELETE "+control.PathFaults, func(w http.ResponseWriter, _ *http.Request) {
		f.faults.Remove("")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE "+control.PathFaults+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !f.faults.Remove(r.PathValue("id")) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no fault " + r.PathValue("id")})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET "+control.PathRequests, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, f.counters.Snapshot())
	})
	mux.HandleFunc("DELETE "+control.PathRequests, func(w http.ResponseWriter, _ *http.Request) {
		f.counters.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func isControlPath(p string) bool { return strings.HasPrefix(p, "/_twin/") }
