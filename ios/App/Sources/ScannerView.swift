// Scanning a code with the camera: the camera permission flow (ask, or say how to allow it in Settings), a device
// without a camera or without the scanner (DataScannerViewController needs an A12 chip or later) gets the paste
// field only, and VisionKit's scanner reading QR codes, handing over only Clearchat's (`clearchat:` payloads).
// Whether a code is tried is RedeemModel's gate (`scanning`, and no retry of a code that just failed).
import AVFoundation
import ClearchatKit
import SwiftUI
import UIKit
import Vision
import VisionKit

struct ScannerSection: View {
    /// Whether codes are wanted now (RedeemModel.scanning).
    let active: Bool
    let onCode: @MainActor (String) -> Void

    @State private var access = AVCaptureDevice.authorizationStatus(for: .video)
    @State private var unavailable = false
    @Environment(\.openURL) private var openURL

    var body: some View {
        Group {
            if AVCaptureDevice.default(for: .video) == nil {
                Text(UiText.scanNoCamera.say())
            } else if !DataScannerViewController.isSupported || unavailable {
                Text(UiText.scanUnsupported.say())
            } else {
                switch access {
                case .authorized where DataScannerViewController.isAvailable:
                    QrScanner(active: active, onCode: onCode) { unavailable = true }
                        .aspectRatio(1, contentMode: .fit)
                        .clipShape(RoundedRectangle(cornerRadius: 12))
                        .accessibilityLabel(UiText.scanPreviewDescription.say())
                case .notDetermined:
                    Button(UiText.scanWithCamera.say()) {
                        Task {
                            let granted = await AVCaptureDevice.requestAccess(for: .video)
                            access = granted ? .authorized : .denied
                        }
                    }
                    .buttonStyle(.bordered)
                default:
                    // Denied, or restricted (Screen Time, a device profile): the paste field below still works.
                    VStack(alignment: .leading, spacing: 8) {
                        Text(UiText.scanDenied.say())
                        if access == .denied, let settings = URL(string: UIApplication.openSettingsURLString) {
                            Button(UiText.scanOpenSettings.say()) { openURL(settings) }
                        }
                    }
                }
            }
        }
        .frame(maxWidth: .infinity, alignment: .leading)
    }
}

/// VisionKit's DataScannerViewController for QR codes, scanning while `active`.
struct QrScanner: UIViewControllerRepresentable {
    let active: Bool
    let onCode: @MainActor (String) -> Void
    /// The scanner stopped being available (the camera was taken away, or restricted meanwhile).
    let onUnavailable: @MainActor () -> Void

    func makeUIViewController(context: Context) -> DataScannerViewController {
        let scanner = DataScannerViewController(
            recognizedDataTypes: [.barcode(symbologies: [.qr])],
            qualityLevel: .balanced,
            recognizesMultipleItems: false,
            isHighFrameRateTrackingEnabled: false,
            isPinchToZoomEnabled: true,
            isGuidanceEnabled: true,
            isHighlightingEnabled: true)
        scanner.delegate = context.coordinator
        return scanner
    }

    func updateUIViewController(_ scanner: DataScannerViewController, context: Context) {
        context.coordinator.parent = self
        if active && !scanner.isScanning {
            do {
                try scanner.startScanning()
            } catch {
                onUnavailable()
            }
        } else if !active && scanner.isScanning {
            scanner.stopScanning()
        }
    }

    static func dismantleUIViewController(_ scanner: DataScannerViewController, coordinator: Coordinator) {
        scanner.stopScanning()
    }

    func makeCoordinator() -> Coordinator {
        Coordinator(parent: self)
    }

    @MainActor
    final class Coordinator: NSObject, DataScannerViewControllerDelegate {
        var parent: QrScanner

        init(parent: QrScanner) {
            self.parent = parent
        }

        func dataScanner(
            _ dataScanner: DataScannerViewController, didAdd addedItems: [RecognizedItem], allItems: [RecognizedItem]
        ) {
            for item in addedItems {
                guard case .barcode(let barcode) = item, let payload = barcode.payloadStringValue,
                    let code = DeepLink.code(payload)
                else { continue }
                parent.onCode(code)
            }
        }

        func dataScanner(
            _ dataScanner: DataScannerViewController,
            becameUnavailableWithError error: DataScannerViewController.ScanningUnavailable
        ) {
            parent.onUnavailable()
        }
    }
}
