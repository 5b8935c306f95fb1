/** @jest-environment jsdom */
import '../../test/dom-setup';
import { fireEvent, render, screen } from '@testing-library/react';
import { emptySlot, ImageSlot } from './image-slot';

test('a chosen file the browser cannot draw says so in its slot instead of a broken image', () => {
  // Text saved as .jpg: the browser takes its type from the name, and only the preview's decoding finds it out.
  const fake = new File(['not an image'], 'bad.jpg', { type: 'image/jpeg' });
  render(<ImageSlot slot={{ ...emptySlot('white'), file: fake }} onFiles={() => undefined} onClear={() => undefined} />);
  const preview = screen.getByRole('img', { name: 'Chosen White light image' });
  expect(screen.queryByRole('status')).toBeNull();
  fireEvent.error(preview);
  expect(screen.queryByRole('img')).toBeNull();
  expect(screen.getByRole('status')).toHaveTextContent('No preview: this browser cannot read the file as an image');
  // The file stays chosen: the server, which reads more formats than a browser, has the last word.
  expect(screen.getByText('bad.jpg')).toBeInTheDocument();
});
