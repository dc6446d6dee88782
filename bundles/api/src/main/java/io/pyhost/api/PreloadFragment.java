package io.pyhost.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A whiteboard service that contributes a preload fragment computed by code. Register it with
 * the {@value #ORDER} property (an integer, default 0); its origin is
 * {@code service:<service.id>}, or {@code service:<id>} with the {@value #ID} property.
 *
 * <p>{@link #code()} is called when the service arrives (and again when its properties
 * change); the code it returns then is what runs.
 */
@ConsumerType
public interface PreloadFragment {
    /** Service property: the fragment's order (integer, default 0). */
    String ORDER = "pyhost.preload.order";
    /** Service property: a stable id shown in the fragment's origin instead of service.id. */
    String ID = "pyhost.preload.id";

    /** The Python source of this fragment. */
    String code();
}
