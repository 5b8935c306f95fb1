import type { Specimen } from '@exemplar/specimens-schema';
import { useCallback, useEffect, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { isApiError, isNotFound } from '../../shared/api/client';
import { imagePaths } from '../../shared/api/images';
import { useResource } from '../../shared/api/use-resource';
import { useActionError } from '../../shared/auth/use-action-error';
import { StatusBadge } from '../../shared/ui/status-badge';
import { UnsavedChangesDialog, UnsavedChangesGuard } from '../../shared/ui/unsaved-changes-guard';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { lightLabel, pageLabel } from '../../shared/vocabulary';
import { getSpecimen } from '../specimen/api';
import { orderedImages } from '../specimen/capture-view';
import { deleteCapture, deleteSpecimen } from './api';
import { CaptureUpload } from './capture-upload';
import { SpecimenForm } from './specimen-form';
import { ZoneEditor } from './zone-editor';

export function NewSpecimenPage() {
  const navigate = useNavigate();
  useDocumentTitle('New specimen');
  const [dirty, setDirty] = useState(false);
  const [created, setCreated] = useState<Specimen | null>(null);
  // Created: the form's content is stored, so the guard lets go first and the upload opens on the next render (a
  // navigation in the same handler would still meet the guard as it was).
  useEffect(() => {
    if (created) navigate(`/specimens/${created.id}/edit#captures`, { state: { created: true } });
  }, [created, navigate]);
  return (
    <div className="editor">
      <header className="editor__header">
        <h1>New specimen</h1>
        <p className="muted">Describe the document first; its images are uploaded next, one capture (page) at a time.</p>
      </header>
      <UnsavedChangesGuard
        when={dirty && !created}
        title="Leave without creating the specimen?"
        message="What you have entered will be lost. Stay to keep it and create the specimen with Create specimen."
      />
      <SpecimenForm specimen={null} onSaved={setCreated} onDirtyChange={setDirty} />
    </div>
  );
}

export function EditSpecimenPage() {
  const { id = '' } = useParams();
  const api = useApi();
  const specimen = useResource(id, (signal) => getSpecimen(api, id, signal));
  useDocumentTitle(specimen.data ? `Edit: ${specimen.data.title}` : 'Edit specimen');

  if (specimen.status === 'loading' && !specimen.data) return <LoadingState label="Loading the specimen…" />;
  if (specimen.status === 'error' && !specimen.data) {
    if (isNotFound(specimen.error)) {
      return (
        <EmptyState title="No such specimen">
          <p>
            <Link to="/">Search the library</Link> or <Link to="/specimens/new">catalogue a new specimen</Link>.
          </p>
        </EmptyState>
      );
    }
    return <ErrorState title="The specimen could not be loaded" error={specimen.error} onRetry={specimen.reload} />;
  }
  if (!specimen.data) return null;
  return <SpecimenEditor specimen={specimen.data} onChange={specimen.set} onReload={specimen.reload} />;
}

function SpecimenEditor({ specimen, onChange, onReload }: { specimen: Specimen; onChange: (s: Specimen) => void; onReload: () => void }) {
  const api = useApi();
  const navigate = useNavigate();
  const location = useLocation();
  const created = (location.state as { created?: boolean } | null)?.created === true;
  const captures = specimen.captures;
  const [zoneCaptureId, setZoneCaptureId] = useState<string | null>(null);
  const zoneCapture = captures.find((c) => c.id === zoneCaptureId) ?? captures.find((c) => c.images.length > 0);
  const [formDirty, setFormDirty] = useState(false);
  const [zonesDirty, setZonesDirty] = useState(false);
  // Another capture asked for while the zone editor holds unsaved zones: it opens only if the user discards them.
  const [askToOpen, setAskToOpen] = useState<string | null>(null);
  const stayOnZones = useCallback(() => setAskToOpen(null), []);
  const [confirmDelete, setConfirmDelete] = useState(false);
  // The capture whose deletion is being asked about (its images and zones go with it).
  const [confirmCapture, setConfirmCapture] = useState<string | null>(null);
  const [actionError, setActionError] = useActionError();
  const [failedDelete, setFailedDelete] = useState<'specimen' | 'capture'>('specimen');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (location.hash === '#captures') document.getElementById('captures')?.scrollIntoView({ block: 'start' });
  }, [location.hash]);

  const openZones = (captureId: string) => {
    if (captureId === zoneCapture?.id) return;
    if (zonesDirty) setAskToOpen(captureId);
    else setZoneCaptureId(captureId);
  };

  const removeSpecimen = async () => {
    setBusy(true);
    setActionError(null);
    try {
      await deleteSpecimen(api, specimen.id, specimen.revision);
      navigate('/', { replace: true });
    } catch (err) {
      setFailedDelete('specimen');
      setActionError(err);
      // Asking again cannot help while it is evidence; other failures keep the question open for another try.
      if (evidenceHolders(err)) setConfirmDelete(false);
      setBusy(false);
    }
  };

  const removeCapture = async (captureId: string) => {
    setBusy(true);
    setActionError(null);
    setConfirmCapture(null);
    try {
      onChange(await deleteCapture(api, specimen.id, captureId, specimen.revision));
    } catch (err) {
      setFailedDelete('capture');
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="editor">
      <header className="editor__header specimen__header">
        <div>
          <h1>
            Edit: {specimen.title} <StatusBadge status={specimen.status} />
          </h1>
          <p className="muted">Revision {specimen.revision}</p>
        </div>
        <div className="specimen__actions">
          <Link className="button" to={`/specimens/${specimen.id}`}>
            View specimen
          </Link>
          {confirmDelete ? (
            <span className="confirm" role="group" aria-label="Confirm deletion">
              Delete this specimen and its images?
              <button type="button" className="button button--danger" disabled={busy} onClick={() => void removeSpecimen()}>
                Yes, delete
              </button>
              <button type="button" className="button" onClick={() => setConfirmDelete(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button type="button" className="button button--danger" onClick={() => setConfirmDelete(true)}>
              Delete…
            </button>
          )}
        </div>
      </header>
      {created && (
        <p className="notice" role="status">
          Specimen created. Upload its images below.
        </p>
      )}
      {actionError !== null && evidenceHolders(actionError) && <EvidenceRefusal what={failedDelete} holders={evidenceHolders(actionError)!} />}
      {actionError !== null && !evidenceHolders(actionError) && (
        <ErrorState
          title={isApiError(actionError, 'REVISION_CONFLICT') ? 'Someone else changed this specimen; reload it and try again' : 'That did not work'}
          error={actionError}
          onRetry={onReload}
        />
      )}

      {/* One guard for the page (a router heeds one): it names whatever is unsaved, the form, the zones or both. */}
      <UnsavedChangesGuard when={formDirty || zonesDirty} {...leaveQuestion(formDirty, zonesDirty)} />
      {askToOpen !== null && zoneCapture && (
        <UnsavedChangesDialog
          title="Open another capture without saving your zones?"
          message={`The zone changes you have not saved on this capture (${pageLabel(zoneCapture.page)}) will be lost. Stay to save them with Save zones.`}
          discardLabel="Open the other capture and discard the changes"
          onStay={stayOnZones}
          onDiscard={() => {
            setZoneCaptureId(askToOpen);
            setAskToOpen(null);
          }}
        />
      )}

      <SpecimenForm specimen={specimen} onSaved={(s) => onChange(s)} onReload={onReload} onDirtyChange={setFormDirty} />

      <CaptureUpload specimenId={specimen.id} onUploaded={() => onReload()} />

      <section className="panel" aria-labelledby="captures-heading">
        <h2 id="captures-heading">Captures ({captures.length})</h2>
        {captures.length === 0 && <p className="muted">No captures yet.</p>}
        <ul className="capture-list">
          {captures.map((c) => {
            const thumb = orderedImages(c)[0];
            return (
              <li key={c.id} className="capture-list__item">
                {thumb && <img src={api.url(imagePaths.thumbnail(thumb.sha256))} alt="" />}
                <span>
                  <strong>{pageLabel(c.page)}</strong>
                  <br />
                  <span className="muted">
                    {c.images.map((i) => lightLabel(i.lightSource)).join(', ')} · {c.zones.length} zone{c.zones.length === 1 ? '' : 's'}
                  </span>
                </span>
                <button type="button" className="button button--small" onClick={() => openZones(c.id)} aria-pressed={zoneCapture?.id === c.id} disabled={c.images.length === 0}>
                  Edit zones
                </button>
                {confirmCapture === c.id ? (
                  <span className="confirm" role="group" aria-label={`Confirm deletion of the ${pageLabel(c.page)} capture`}>
                    Delete this capture, its {c.images.length} image{c.images.length === 1 ? '' : 's'} and its zones?
                    <button
                      type="button"
                      className="button button--small button--danger"
                      disabled={busy}
                      onClick={() => void removeCapture(c.id)}
                      aria-label={`Yes, delete the ${pageLabel(c.page)} capture`}
                    >
                      Yes, delete
                    </button>
                    <button type="button" className="button button--small" onClick={() => setConfirmCapture(null)}>
                      Cancel
                    </button>
                  </span>
                ) : (
                  <button
                    type="button"
                    className="button button--small button--danger"
                    disabled={busy}
                    onClick={() => setConfirmCapture(c.id)}
                    aria-label={`Delete the ${pageLabel(c.page)} capture`}
                  >
                    Delete
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      </section>

      {zoneCapture && (
        <section className="panel" aria-labelledby="zones-editor-heading">
          <h2 id="zones-editor-heading">Feature zones: {pageLabel(zoneCapture.page)}</h2>
          <ZoneEditor key={zoneCapture.id} specimen={specimen} capture={zoneCapture} onSaved={onChange} onReload={onReload} onDirtyChange={setZonesDirty} />
        </section>
      )}
    </div>
  );
}

/** What leaving the editor would lose, asked in the guard's words. */
function leaveQuestion(form: boolean, zones: boolean): { title: string; message: string } {
  if (form && zones) {
    return {
      title: 'Leave without saving your changes?',
      message: 'The changes to the specimen and the zone changes you have not saved will be lost. Stay to save them with Save changes and Save zones.',
    };
  }
  if (form) {
    return { title: 'Leave without saving your changes to the specimen?', message: 'The changes to the specimen you have not saved will be lost. Stay to save them with Save changes.' };
  }
  return { title: 'Leave without saving your zones?', message: 'The zone changes you have not saved will be lost. Stay to save them with Save zones.' };
}

interface EvidenceHolders {
  cases: string[];
  verificationRequests: string[];
  comparisons: string[];
}

/** What a delete refused because records rest on the specimen or capture names (409 CONFLICT, reason EVIDENCE); null for any other failure. */
function evidenceHolders(err: unknown): EvidenceHolders | null {
  if (!isApiError(err, 'CONFLICT') || err.details['reason'] !== 'EVIDENCE') return null;
  const ids = (key: string) => (Array.isArray(err.details[key]) ? (err.details[key] as unknown[]).filter((v): v is string => typeof v === 'string') : []);
  return { cases: ids('cases'), verificationRequests: ids('verificationRequests'), comparisons: ids('comparisons') };
}

/**
 * A delete refused because cases, verification requests or comparisons rest
 * on what was to be deleted: what is evidence, and links to them. No retry:
 * asking again fails the same way until they no longer rest on it.
 */
function EvidenceRefusal({ what, holders }: { what: 'specimen' | 'capture'; holders: EvidenceHolders }) {
  const links = [
    ...holders.cases.map((id) => ({ to: `/cases/${encodeURIComponent(id)}`, label: `Case ${id}` })),
    ...holders.verificationRequests.map((id) => ({ to: `/verification/${encodeURIComponent(id)}`, label: `Verification request ${id}` })),
    ...holders.comparisons.map((id) => ({ to: `/comparisons/${encodeURIComponent(id)}`, label: `Comparison ${id}` })),
  ];
  return (
    <div className="state state--error" role="alert">
      <strong>This {what} is evidence and cannot be deleted</strong>
      <p>It is kept, byte for byte, while these rest on it (as a reference, or as questioned images they keep):</p>
      {links.length > 0 && (
        <ul>
          {links.map((l) => (
            <li key={l.to}>
              <Link to={l.to}>{l.label}</Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
