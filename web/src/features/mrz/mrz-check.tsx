import { useState } from 'react';
import { useApi } from '../../shared/api/api-context';
import { errorMessage } from '../../shared/api/client';
import { RegisterHitsBanner } from '../register/register-hits';
import { checkLabel, parseMrz, readMrz, type MrzParse } from './api';

type CheckState = { status: 'idle' } | { status: 'busy'; what: string } | { status: 'done'; parse: MrzParse | null; hits: MrzParse['registerHits']; found: boolean } | { status: 'error'; message: string };

/**
 * Checks typed MRZ lines (check digits per field) or reads them from an
 * image, and shows the register check the API makes with it. A reading
 * fills the lines in for the user to confirm.
 */
export function MrzCheck({ lines, image, onRead, disabled }: { lines: string[]; image: File | null; onRead: (lines: string[]) => void; disabled?: boolean }) {
  const api = useApi();
  const [state, setState] = useState<CheckState>({ status: 'idle' });

  const check = async () => {
    setState({ status: 'busy', what: 'Checking…' });
    try {
      const parse = await parseMrz(api, lines);
      setState({ status: 'done', parse, hits: parse.registerHits, found: true });
    } catch (err) {
      setState({ status: 'error', message: errorMessage(err) });
    }
  };
  const read = async () => {
    if (!image) return;
    setState({ status: 'busy', what: 'Reading the MRZ from the image…' });
    try {
      const result = await readMrz(api, image);
      if (result.parse) onRead(result.parse.lines);
      setState({ status: 'done', parse: result.parse, hits: result.registerHits, found: result.found });
    } catch (err) {
      setState({ status: 'error', message: errorMessage(err) });
    }
  };

  return (
    <div className="mrz-check">
      <div className="button-row">
        <button type="button" className="button button--small" disabled={disabled || lines.length < 2 || state.status === 'busy'} onClick={() => void check()}>
          Check the MRZ
        </button>
        <button type="button" className="button button--small" disabled={disabled || !image || state.status === 'busy'} onClick={() => void read()}>
          Read the MRZ from the white-light image
        </button>
        {state.status === 'busy' && (
          <span role="status" className="muted">
            {state.what}
          </span>
        )}
      </div>
      {state.status === 'error' && (
        <p className="field__error" role="alert">
          {state.message}
        </p>
      )}
      {state.status === 'done' && (
        <div className="mrz-check__result" aria-label="MRZ check">
          {!state.found || !state.parse ? (
            <p className="muted">No MRZ could be read from the image.</p>
          ) : (
            <>
              <p className={state.parse.checkDigitsValid ? 'download__ok' : 'error-text'}>
                {state.parse.format}: {state.parse.checkDigitsValid ? 'every check digit holds' : 'check digits fail'}
                {state.parse.valid ? '' : ' — some fields are invalid'}
              </p>
              <ul className="mrz-check__digits">
                {Object.entries(state.parse.checks).map(([name, ok]) => (
                  <li key={name} className={ok ? '' : 'error-text'}>
                    {ok ? '✓' : '✗'} {checkLabel(name)}
                  </li>
                ))}
              </ul>
            </>
          )}
          <RegisterHitsBanner hits={state.hits} showClear />
        </div>
      )}
    </div>
  );
}
