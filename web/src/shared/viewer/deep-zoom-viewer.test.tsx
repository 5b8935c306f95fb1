/** @jest-environment jsdom */
import '../../test/dom-setup';
import { render, screen, waitFor } from '@testing-library/react';
import { DeepZoomViewer } from './deep-zoom-viewer';

// jest gives each test file a fresh module registry, so OpenSeadragon is not loaded yet when the first viewer mounts.
const frame = { width: 1200, height: 800 };
const layers = [{ id: 'reference', source: { kind: 'image' as const, url: '/api/images/aa/preview', width: 1200, height: 800 } }];

test('OpenSeadragon is fetched when the first viewer mounts; until then the viewer says so and is loading', async () => {
  const { unmount } = render(
    <DeepZoomViewer label="Reference, white light" frame={frame} layers={layers} overlay={<rect data-testid="zone" width={10} height={10} />} />,
  );
  const viewer = screen.getByRole('group', { name: 'Reference, white light' });
  expect(viewer).toHaveAttribute('data-state', 'loading');
  expect(screen.getByRole('status')).toHaveTextContent('Loading the image viewer…');
  expect(viewer.querySelector('.openseadragon-canvas')).toBeNull();

  // Once loaded, OpenSeadragon has made its canvas and the overlay is drawn into it.
  await waitFor(() => expect(viewer.querySelector('.openseadragon-canvas')).not.toBeNull());
  await waitFor(() => expect(viewer.querySelector('.viewer__overlay [data-testid="zone"]')).not.toBeNull());
  expect(screen.getByRole('status')).toHaveTextContent('Loading image…');
  unmount();

  // A later viewer (a mode switch, another page) gets the loaded module at once.
  render(<DeepZoomViewer label="Questioned, white light" frame={frame} layers={layers} overlay={<rect data-testid="zone2" width={10} height={10} />} />);
  const second = screen.getByRole('group', { name: 'Questioned, white light' });
  expect(second.querySelector('.openseadragon-canvas')).not.toBeNull();
  expect(screen.queryByText('Loading the image viewer…')).toBeNull();
});

test("the viewer's keyboard focus stop (OpenSeadragon's canvas) is named after the image and says which keys move it", async () => {
  const { rerender } = render(<DeepZoomViewer label="Data page under White light" frame={frame} layers={layers} />);
  const viewer = screen.getByRole('group', { name: 'Data page under White light' });
  await waitFor(() => expect(viewer.querySelector('.openseadragon-canvas')).not.toBeNull());
  const canvas = viewer.querySelector('.openseadragon-canvas')!;
  expect(canvas).toHaveAttribute('tabindex', '0');
  expect(screen.getByRole('application', { name: /^Data page under White light/ })).toBe(canvas);
  expect(canvas).toHaveAccessibleName('Data page under White light: arrow keys move the image, + and - zoom, 0 shows it whole');
  // Another light in the same viewer: the name follows.
  rerender(<DeepZoomViewer label="Data page under UV 365 nm" frame={frame} layers={layers} />);
  expect(canvas).toHaveAccessibleName(/^Data page under UV 365 nm:/);
});
