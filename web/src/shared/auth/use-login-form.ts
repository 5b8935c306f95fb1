import { useState, type FormEvent } from 'react';
import { loginFailureMessage } from './login-failure';
import { useSession } from './session';

/**
 * The state and submit handler of a log-in form (the login page, the dialog
 * over a page whose session ended): both fields required, the password
 * cleared after a refusal, `onLoggedIn` called once the session is open.
 */
export function useLoginForm(initialUsername = '', onLoggedIn?: () => void) {
  const { login } = useSession();
  const [username, setUsername] = useState(initialUsername);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!username.trim() || !password) {
      setFailure('Enter your user name and password.');
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      await login(username.trim(), password);
      onLoggedIn?.();
    } catch (err) {
      setFailure(loginFailureMessage(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return { username, setUsername, password, setPassword, busy, failure, submit };
}
